#include <gtest/gtest.h>

#include "epp/cpp/units.h"

namespace {

using epp::cpp::parseBytes;
using epp::cpp::parseDurationNs;

TEST(UnitsTest, DurationsInGoSyntax) {
  EXPECT_EQ(parseDurationNs("200ms"), 200'000'000);
  EXPECT_EQ(parseDurationNs("1.5s"), 1'500'000'000);
  EXPECT_EQ(parseDurationNs("1h30m"), 5'400'000'000'000);
  EXPECT_EQ(parseDurationNs("300us"), 300'000);
  EXPECT_EQ(parseDurationNs("10ns"), 10);
  EXPECT_EQ(parseDurationNs("60"), 60'000'000'000);
  EXPECT_EQ(parseDurationNs("0"), 0);
  EXPECT_FALSE(parseDurationNs(""));
  EXPECT_FALSE(parseDurationNs("soon"));
  EXPECT_FALSE(parseDurationNs("5 s"));
  EXPECT_FALSE(parseDurationNs("-1s"));
  EXPECT_FALSE(parseDurationNs("5d"));
  EXPECT_FALSE(parseDurationNs("1e30h"));
}

TEST(UnitsTest, ByteQuantitiesInKubernetesSyntax) {
  EXPECT_EQ(parseBytes("512"), 512);
  EXPECT_EQ(parseBytes("10Gi"), 10LL << 30);
  EXPECT_EQ(parseBytes("500Mi"), 500LL << 20);
  EXPECT_EQ(parseBytes("1G"), 1'000'000'000);
  EXPECT_EQ(parseBytes("2k"), 2000);
  EXPECT_EQ(parseBytes("1.5Ki"), 1536);
  EXPECT_FALSE(parseBytes("10GB"));
  EXPECT_FALSE(parseBytes("Gi"));
  EXPECT_FALSE(parseBytes("-1"));
  EXPECT_FALSE(parseBytes("99999999Ti"));
}

}  // namespace

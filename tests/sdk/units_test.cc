// The SDK's unit parsers (also eppd's: host/config/scalar.cc wraps them; its test covers
// the messages). Here: values and error kinds.
#include <gtest/gtest.h>

#include "epp/cpp/units.h"

namespace {

using epp::cpp::parseBytes;
using epp::cpp::parseDurationNs;
using epp::cpp::UnitError;

TEST(UnitsTest, DurationsInGoSyntax) {
  EXPECT_EQ(*parseDurationNs("200ms"), 200'000'000);
  EXPECT_EQ(*parseDurationNs("1.5s"), 1'500'000'000);
  EXPECT_EQ(*parseDurationNs("1h30m"), 5'400'000'000'000);
  EXPECT_EQ(*parseDurationNs("300us"), 300'000);
  EXPECT_EQ(*parseDurationNs("10ns"), 10);
  EXPECT_EQ(*parseDurationNs("60"), 60'000'000'000);
  EXPECT_EQ(*parseDurationNs("0"), 0);
  EXPECT_EQ(parseDurationNs("").error, UnitError::kInvalid);
  EXPECT_EQ(parseDurationNs("soon").error, UnitError::kInvalid);
  EXPECT_EQ(parseDurationNs("5 s").error, UnitError::kInvalid);
  EXPECT_EQ(parseDurationNs("5d").error, UnitError::kInvalid);
  EXPECT_EQ(parseDurationNs("-1s").error, UnitError::kNegative);
  EXPECT_EQ(parseDurationNs("2562048h").error, UnitError::kOutOfRange);
}

TEST(UnitsTest, ByteQuantitiesInKubernetesSyntax) {
  EXPECT_EQ(*parseBytes("512"), 512);
  EXPECT_EQ(*parseBytes("10Gi"), 10LL << 30);
  EXPECT_EQ(*parseBytes("500Mi"), 500LL << 20);
  EXPECT_EQ(*parseBytes("1G"), 1'000'000'000);
  EXPECT_EQ(*parseBytes("2k"), 2000);
  EXPECT_EQ(*parseBytes("1.5Ki"), 1536);
  EXPECT_EQ(parseBytes("10GB").error, UnitError::kInvalid);
  EXPECT_EQ(parseBytes("Gi").error, UnitError::kInvalid);
  EXPECT_EQ(parseBytes("-1").error, UnitError::kNegative);
  EXPECT_EQ(parseBytes("8Ei").error, UnitError::kOutOfRange);
}

}  // namespace

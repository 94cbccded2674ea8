// Scalar conversions: the accepted spellings, exact values and the rejected ones.
#include "host/config/scalar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace epp::config {
namespace {

using ::testing::HasSubstr;

TEST(ScalarTest, Bool) {
  EXPECT_EQ(*parseBool("true"), true);
  EXPECT_EQ(*parseBool("false"), false);
  for (const char* bad : {"True", "yes", "1", "on", ""}) {
    auto value = parseBool(bad);
    ASSERT_FALSE(value) << bad;
    EXPECT_EQ(value.error(), std::string("expected true or false, got '") + bad + "'");
  }
}

TEST(ScalarTest, Int) {
  EXPECT_EQ(*parseInt("0"), 0);
  EXPECT_EQ(*parseInt("128"), 128);
  EXPECT_EQ(*parseInt("-5"), -5);
  EXPECT_EQ(*parseInt("+5"), 5);
  EXPECT_EQ(*parseInt("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*parseInt("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(parseInt("9223372036854775808").error(),
            "integer '9223372036854775808' is out of range for int64");
  for (const char* bad : {"1.5", "1e3", "", "+", "-", "+-5", "12ab", " 1", "0x10"}) {
    auto value = parseInt(bad);
    ASSERT_FALSE(value) << bad;
    EXPECT_EQ(value.error(), std::string("expected an integer, got '") + bad + "'");
  }
}

TEST(ScalarTest, Double) {
  EXPECT_EQ(*parseDouble("0.25"), 0.25);
  EXPECT_EQ(*parseDouble("3"), 3.0);
  EXPECT_EQ(*parseDouble("-1.5e3"), -1500.0);
  EXPECT_EQ(*parseDouble("+.5"), 0.5);
  EXPECT_EQ(*parseDouble(".inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*parseDouble("-.Inf"), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*parseDouble(".nan")));
  for (const char* bad : {"", "abc", "inf", "nan", "1.2.3", "1,5", "-.nan", "1e"}) {
    EXPECT_FALSE(parseDouble(bad)) << bad;
  }
  EXPECT_THAT(parseDouble("1e999").error(), HasSubstr("out of range"));
}

TEST(ScalarTest, Duration) {
  struct Case {
    const char* text;
    int64_t ns;
  };
  for (const Case& c :
       {Case{"0", 0}, Case{"10ns", 10}, Case{"300us", 300'000}, Case{"300\xc2\xb5s", 300'000},
        Case{"200ms", 200'000'000}, Case{"1.5s", 1'500'000'000}, Case{"2m", 120'000'000'000},
        Case{"1h30m", 5'400'000'000'000}, Case{"1h0.5m", 3'630'000'000'000},
        Case{"5", 5'000'000'000}, Case{"0.25", 250'000'000}, Case{".5s", 500'000'000},
        Case{"+3s", 3'000'000'000}, Case{"2562047h", 2'562'047 * 3'600'000'000'000}}) {
    auto value = parseDurationNs(c.text);
    ASSERT_TRUE(value) << c.text << ": " << value.error();
    EXPECT_EQ(*value, c.ns) << c.text;
  }
  for (const char* bad : {"", "s", "5x", "1h30", "ms5", "1..5s", "5 s", "h1"}) {
    auto value = parseDurationNs(bad);
    ASSERT_FALSE(value) << bad;
    EXPECT_THAT(value.error(), HasSubstr("expected a duration such as 200ms"));
  }
  EXPECT_EQ(parseDurationNs("-1s").error(), "negative duration '-1s'");
  EXPECT_EQ(parseDurationNs("2562048h").error(), "duration '2562048h' is out of range");
}

TEST(ScalarTest, Bytes) {
  struct Case {
    const char* text;
    int64_t bytes;
  };
  for (const Case& c :
       {Case{"512", 512}, Case{"0", 0}, Case{"1k", 1'000}, Case{"2Ki", 2'048},
        Case{"500Mi", 500LL << 20}, Case{"10Gi", 10LL << 30}, Case{"1G", 1'000'000'000},
        Case{"3T", 3'000'000'000'000}, Case{"1Ti", 1LL << 40}, Case{"1.5Gi", 3LL << 29},
        Case{"1.5", 2}, Case{"7Ei", 7LL << 60}}) {
    auto value = parseBytes(c.text);
    ASSERT_TRUE(value) << c.text << ": " << value.error();
    EXPECT_EQ(*value, c.bytes) << c.text;
  }
  for (const char* bad : {"", "Gi", "10GB", "10gi", "1m", "1 Gi", "0x10"}) {
    auto value = parseBytes(bad);
    ASSERT_FALSE(value) << bad;
    EXPECT_THAT(value.error(), HasSubstr("expected a byte quantity"));
  }
  EXPECT_EQ(parseBytes("-1Gi").error(), "negative byte quantity '-1Gi'");
  EXPECT_EQ(parseBytes("8Ei").error(), "byte quantity '8Ei' is out of range");
}

}  // namespace
}  // namespace epp::config

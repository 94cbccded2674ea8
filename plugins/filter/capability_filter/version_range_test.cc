#include "plugins/filter/capability_filter/version_range.h"

#include <gtest/gtest.h>

namespace epp::plugins {
namespace {

bool in(std::string_view range, std::string_view version) {
  std::string error;
  auto r = VersionRange::parse(range, &error);
  EXPECT_TRUE(r) << range << ": " << error;
  auto v = ModelVersion::parse(version);
  EXPECT_TRUE(v) << version;
  return r && v && r->contains(*v);
}

TEST(ModelVersionTest, ParsesDottedNumbersWithOptionalV) {
  for (const char* ok : {"1", "1.2", "v1.2.3", "V10.0.0.7", " 2.0 ", "0.0"}) {
    EXPECT_TRUE(ModelVersion::parse(ok)) << ok;
  }
  for (const char* bad :
       {"", "v", "1.", ".1", "1..2", "1.2.3.4.5", "1.2-rc1", "latest", "-1", "1.2 .3"}) {
    EXPECT_FALSE(ModelVersion::parse(bad)) << bad;
  }
}

TEST(ModelVersionTest, ComparesNumericallyAndPadsWithZeros) {
  auto v = [](const char* s) { return *ModelVersion::parse(s); };
  EXPECT_LT(v("1.9").compare(v("1.10")), 0);
  EXPECT_EQ(v("1.2").compare(v("v1.2.0")), 0);
  EXPECT_GT(v("2").compare(v("1.99.99")), 0);
}

TEST(VersionRangeTest, EveryConstraintMustHold) {
  EXPECT_TRUE(in(">=1.2,<2", "1.2"));
  EXPECT_TRUE(in(">=1.2,<2", "1.10.3"));
  EXPECT_FALSE(in(">=1.2,<2", "1.1.9"));
  EXPECT_FALSE(in(">=1.2,<2", "2.0"));
  EXPECT_TRUE(in(" > 1.2 , <= 1.4 ", "1.4.0"));
  EXPECT_FALSE(in(">1.2,<=1.4", "1.2"));
  EXPECT_TRUE(in("1.4.1", "v1.4.1"));
  EXPECT_TRUE(in("=1.4", "1.4.0"));
  EXPECT_TRUE(in("==1.4", "1.4"));
  EXPECT_FALSE(in("!=1.3", "1.3.0"));
  EXPECT_TRUE(in("!=1.3,>=1", "1.3.1"));
}

TEST(VersionRangeTest, RejectsWhatIsNotARangeWithAReason) {
  for (const char* bad : {"", " ", ">=1.2,", ",<2", ">=", "~1.2", ">=one", "1.2 - 2.0", "=>1"}) {
    std::string error;
    EXPECT_FALSE(VersionRange::parse(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  std::string error;
  VersionRange::parse(">=1.2,<two", &error);
  EXPECT_EQ(error, "\"two\" in version range \">=1.2,<two\" is not a version like 1.2 or v2.0.1");
}

}  // namespace
}  // namespace epp::plugins

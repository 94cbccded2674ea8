#include "plugins/scorer/session_affinity_scorer/session_token.h"

#include <gtest/gtest.h>

namespace epp::plugins {
namespace {

TEST(SessionTokenTest, EncodesStandardPaddedBase64) {
  EXPECT_EQ(encodeBase64(""), "");
  EXPECT_EQ(encodeBase64("f"), "Zg==");
  EXPECT_EQ(encodeBase64("fo"), "Zm8=");
  EXPECT_EQ(encodeBase64("foo"), "Zm9v");
  EXPECT_EQ(encodeBase64("default/vllm-0"), "ZGVmYXVsdC92bGxtLTA=");
  EXPECT_EQ(encodeBase64(std::string("\xff\xfe", 2)), "//4=");
}

TEST(SessionTokenTest, DecodesWithOrWithoutPadding) {
  EXPECT_EQ(decodeBase64("ZGVmYXVsdC92bGxtLTA="), "default/vllm-0");
  EXPECT_EQ(decodeBase64("ZGVmYXVsdC92bGxtLTA"), "default/vllm-0");
  EXPECT_EQ(decodeBase64("Zg=="), "f");
  EXPECT_EQ(decodeBase64("Zg"), "f");
  EXPECT_EQ(decodeBase64(""), "");
  for (const std::string& text : {encodeBase64("10.0.0.7:8000"), encodeBase64("a"),
                                  encodeBase64(std::string(1000, '\x80'))}) {
    EXPECT_EQ(encodeBase64(*decodeBase64(text)), text);
  }
}

TEST(SessionTokenTest, RejectsWhatIsNotBase64) {
  for (const char* bad : {"Z", "Zg=", "Z===", "Zm9v!", "Zm 9v", "Zm9v\n", "-_-_"}) {
    EXPECT_FALSE(decodeBase64(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace epp::plugins

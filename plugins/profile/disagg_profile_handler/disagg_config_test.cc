#include "plugins/profile/disagg_profile_handler/disagg_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "epp/testing/fake_host.h"
#include "plugins/profile/disagg_profile_handler/disagg_plugin.h"

namespace epp::plugins {
namespace {

using testing::FakeHost;
using testing::ParamValue;

// The parameters as each type reads them, through the real create path.
class DisaggConfigTest : public ::testing::Test {
 protected:
  bool accepts(const std::string& type, const ParamValue& params) {
    return host_.create(plugin_, type, params) != nullptr;
  }
  bool rejects(const std::string& type, const ParamValue& params, const std::string& message) {
    if (host_.create(plugin_, type, params) != nullptr) return false;
    EXPECT_NE(host_.lastError().find(message), std::string::npos) << host_.lastError();
    return true;
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppDisaggEntry);
};

TEST_F(DisaggConfigTest, BothTypesAcceptBothForms) {
  const ParamValue current = ParamValue::map(
      {{"stageOrder", "decode-first"},
       {"profiles", ParamValue::map({{"decode", "d"}, {"prefill", "p"}, {"encode", "e"}})},
       {"deciders", ParamValue::map({{"prefill", "prefix-based-pd-decider"}})}});
  const ParamValue v03 = ParamValue::map({{"threshold", 10},
                                          {"hashBlockSize", 5},
                                          {"decodeProfile", "decode"},
                                          {"prefillProfile", "prefill"},
                                          {"prefixPluginName", "prefix-cache-scorer"}});
  const ParamValue later = ParamValue::map({{"deciderPluginName", "always-disagg-pd-decider"},
                                            {"primaryPort", 8000},
                                            {"prefixPluginType", "prefix-cache-scorer"},
                                            {"prefixMatchInfoProducerName", "x"}});
  for (const char* type : {"disagg-profile-handler", "pd-profile-handler"}) {
    SCOPED_TRACE(type);
    EXPECT_TRUE(accepts(type, ParamValue()));
    EXPECT_TRUE(accepts(type, current)) << host_.lastError();
    EXPECT_TRUE(accepts(type, v03)) << host_.lastError();
    EXPECT_TRUE(accepts(type, later)) << host_.lastError();
  }
  EXPECT_TRUE(host_.logged("hashBlockSize is not used"));
  EXPECT_TRUE(host_.logged("prefixPluginName is not used"));
  EXPECT_TRUE(host_.logged("pd-profile-handler is deprecated"));
}

TEST_F(DisaggConfigTest, StageOrderIsSpelledLoosely) {
  for (const char* order :
       {"decode-first", "DecodeFirst", "decode_first", "prefill-first", "PREFILL", "decode"}) {
    EXPECT_TRUE(accepts("disagg-profile-handler", ParamValue::map({{"stageOrder", order}})))
        << order << ": " << host_.lastError();
  }
  EXPECT_TRUE(rejects("disagg-profile-handler", ParamValue::map({{"stageOrder", "encode-first"}}),
                      "\"stageOrder\" must be \"decode-first\" or \"prefill-first\", not "
                      "\"encode-first\""));
}

TEST_F(DisaggConfigTest, MistakesAreRejected) {
  EXPECT_TRUE(rejects("pd-profile-handler",
                      ParamValue::map({{"threshold", 10}, {"deciders", ParamValue::map({})}}),
                      "cannot be mixed with \"deciders\""));
  EXPECT_TRUE(rejects("pd-profile-handler",
                      ParamValue::map({{"threshold", 10}, {"deciderPluginName", "d"}}),
                      "give either \"threshold\" or \"deciderPluginName\""));
  EXPECT_TRUE(rejects("disagg-profile-handler",
                      ParamValue::map({{"deciders", ParamValue::map({{"encode", "mm"}})}}),
                      "eppd has no encode stage"));
  EXPECT_TRUE(rejects(
      "disagg-profile-handler",
      ParamValue::map({{"stageOrder", "prefill-first"},
                       {"deciders", ParamValue::map({{"prefill", "prefix-based-pd-decider"}})}}),
      "cannot be used with stageOrder prefill-first"));
  EXPECT_TRUE(rejects("disagg-profile-handler",
                      ParamValue::map({{"profiles", ParamValue::map({{"decode", "prefill"}})}}),
                      "the decode and prefill profiles must differ"));
  EXPECT_TRUE(rejects("disagg-profile-handler",
                      ParamValue::map({{"deciders", ParamValue::map({{"prefil", "x"}})}}),
                      "unknown parameter \"prefil\""));
  EXPECT_TRUE(rejects("pd-profile-handler", ParamValue::map({{"threshold", -1}}),
                      "\"threshold\" must be between 0 and"));
  EXPECT_TRUE(rejects("pd-profile-handler", ParamValue::map({{"primaryPort", 65536}}),
                      "\"primaryPort\" must be between 0 and 65535"));
  EXPECT_TRUE(rejects("pd-profile-handler", ParamValue::map({{"hashBlockSize", 0}}),
                      "\"hashBlockSize\" must be between 1 and"));
  EXPECT_TRUE(rejects("disagg-profile-handler", ParamValue::map({{"deciders", "x"}}),
                      "\"deciders\" must be a map"));
}

}  // namespace
}  // namespace epp::plugins

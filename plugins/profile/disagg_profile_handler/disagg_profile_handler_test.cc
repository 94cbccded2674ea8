#include "plugins/profile/disagg_profile_handler/disagg_profile_handler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "epp/testing/fake_host.h"
#include "plugins/profile/disagg_profile_handler/disagg_plugin.h"
#include "plugins/profile/disagg_profile_handler/pd_decider_data.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeInstance;
using testing::FakeProfileResult;
using testing::FakeRequest;
using testing::FakeRequestSpec;
using testing::ParamValue;

const std::vector<std::string> kProfiles = {"prefill", "decode"};
constexpr size_t kPrefill = 0;
constexpr size_t kDecode = 1;
constexpr char kDisaggDecisions[] = "llm_d_inference_scheduler_disagg_decision_total";

ParamValue decidedBy(const std::string& decider) {
  return ParamValue::map({{"deciders", ParamValue::map({{"prefill", decider}})}});
}

class DisaggProfileHandlerTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeInstance> make(const std::string& type, const ParamValue& params,
                                     const std::string& name = "") {
    auto instance = host_.create(plugin_, type, params, name);
    EXPECT_NE(instance, nullptr) << host_.lastError();
    return instance;
  }
  // A request as eppd would hand it to the handler: the deciders' and the prefix cache
  // producer's prepare_request already ran. `cachedTokens` is what decode endpoint d0 holds.
  std::unique_ptr<FakeRequest> request(FakeRequestSpec spec, double cachedTokens = 0) {
    auto r = std::make_unique<FakeRequest>(std::move(spec));
    for (auto* decider : deciders_) decider->prepareRequest(*r, eps_.list());
    if (cachedTokens >= 0) {
      const std::vector<uint64_t> ids{eps_.view(0)->id, eps_.view(1)->id, eps_.view(2)->id};
      const std::vector<double> tokens{cachedTokens, 0, 0};
      r->dataPut(pd::kMatchedTokensKey, ids.data(), tokens.data(), ids.size());
    }
    return r;
  }
  // Drives the handler as the host does; returns the profiles run, in order, and the
  // primary result's name. `prefillOk` false: the prefill profile finds no endpoint.
  std::vector<std::string> drive(FakeInstance& handler, FakeRequest& r, bool decodeOk = true,
                                 bool prefillOk = true) {
    std::vector<FakeProfileResult> results;
    std::vector<std::string> ran;
    for (int round = 0; round < 4; ++round) {
      auto run = handler.pickProfiles(r, kProfiles, results);
      EXPECT_EQ(handler.status(), EPP_OK);
      bool any = false;
      for (size_t i = 0; i < run.size(); ++i) {
        if (!run[i]) continue;
        any = true;
        ran.push_back(kProfiles[i]);
        if (i == kDecode) {
          results.push_back(decodeOk ? FakeProfileResult{.name = "decode",
                                                         .targets = {eps_.view(0), eps_.view(1)}}
                                     : FakeProfileResult{.name = "decode", .ok = false});
        } else {
          results.push_back(prefillOk
                                ? FakeProfileResult{.name = "prefill", .targets = {eps_.view(2)}}
                                : FakeProfileResult{.name = "prefill", .ok = false});
        }
      }
      if (!any) break;
    }
    primary_ = results.empty() ? "" : results.at(handler.processResults(r, results)).name;
    return ran;
  }
  const std::string* prefiller(const FakeRequest& r) const {
    auto it = r.setHeaders().find("x-prefiller-host-port");
    return it == r.setHeaders().end() ? nullptr : &it->second;
  }
  double decisions(const std::string& type, const std::string& metric, const std::string& kind) {
    return host_.metricValue(metric, type, {"test-model", kind});
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppDisaggEntry);
  // Two decode endpoints and one prefill endpoint.
  EndpointSet eps_{{.address = "10.0.0.1", .role = "decode"},
                   {.address = "10.0.0.2", .role = "decode"},
                   {.address = "10.0.1.1", .role = "prefill"}};
  std::vector<FakeInstance*> deciders_;
  std::string primary_;
};

class WithPrefixDecider : public DisaggProfileHandlerTest {
 protected:
  void SetUp() override {
    decider_ = make("prefix-based-pd-decider", ParamValue::map({{"nonCachedTokens", 16}}));
    ASSERT_NE(decider_, nullptr);
    deciders_.push_back(decider_.get());
    handler_ = make("disagg-profile-handler", decidedBy("prefix-based-pd-decider"));
    ASSERT_NE(handler_, nullptr);
  }
  std::unique_ptr<FakeInstance> decider_;
  std::unique_ptr<FakeInstance> handler_;
};

TEST_F(WithPrefixDecider, ALongUncachedPromptIsPrefilledElsewhere) {
  auto r = request({.prompt = std::string(400, 'x')});  // 100 tokens, none cached
  EXPECT_EQ(drive(*handler_, *r), (std::vector<std::string>{"decode", "prefill"}));
  EXPECT_EQ(primary_, "decode");
  ASSERT_NE(prefiller(*r), nullptr);
  EXPECT_EQ(*prefiller(*r), "10.0.1.1:8000");
  EXPECT_EQ(decisions("disagg-profile-handler", kDisaggDecisions, "prefill-decode"), 1);
}

TEST_F(WithPrefixDecider, APromptMostlyCachedOnTheDecodeEndpointStaysThere) {
  auto r = request({.prompt = std::string(400, 'x')}, /*cachedTokens=*/90);  // 10 uncached
  EXPECT_EQ(drive(*handler_, *r), (std::vector<std::string>{"decode"}));
  EXPECT_EQ(primary_, "decode");
  EXPECT_EQ(prefiller(*r), nullptr);
  EXPECT_EQ(decisions("disagg-profile-handler", kDisaggDecisions, "decode-only"), 1);
  // 84 cached leaves exactly 16: prefill again.
  auto edge = request({.prompt = std::string(400, 'x')}, 84);
  EXPECT_EQ(drive(*handler_, *edge), (std::vector<std::string>{"decode", "prefill"}));
}

TEST_F(WithPrefixDecider, AShortPromptIsDecodeOnly) {
  auto r = request({.prompt = "What is 2+2?"});
  EXPECT_EQ(drive(*handler_, *r), (std::vector<std::string>{"decode"}));
  EXPECT_EQ(prefiller(*r), nullptr);
}

TEST_F(WithPrefixDecider, WithoutPrefixDataItIsDecodeOnlyAndSaysSoOnce) {
  auto r = request({.prompt = std::string(400, 'x')}, /*cachedTokens=*/-1);
  EXPECT_EQ(drive(*handler_, *r), (std::vector<std::string>{"decode"}));
  auto again = request({.prompt = std::string(400, 'x')}, -1);
  drive(*handler_, *again);
  size_t warnings = 0;
  for (const auto& line : host_.logs()) {
    warnings += line.message.find("add approx-prefix-cache-producer") != std::string::npos;
  }
  EXPECT_EQ(warnings, 1u);
}

TEST_F(WithPrefixDecider, AFailedDecodeProfileIsPrimaryAndNothingElseRuns) {
  auto r = request({.prompt = std::string(400, 'x')});
  EXPECT_EQ(drive(*handler_, *r, /*decodeOk=*/false), (std::vector<std::string>{"decode"}));
  EXPECT_EQ(primary_, "decode");
  EXPECT_EQ(handler_->status(), EPP_OK);
  EXPECT_EQ(prefiller(*r), nullptr);
}

TEST_F(WithPrefixDecider, AFailedPrefillProfileFallsBackToDecodeOnly) {
  auto r = request({.prompt = std::string(400, 'x')});
  EXPECT_EQ(drive(*handler_, *r, true, /*prefillOk=*/false),
            (std::vector<std::string>{"decode", "prefill"}));
  EXPECT_EQ(primary_, "decode");
  EXPECT_EQ(handler_->status(), EPP_OK);
  EXPECT_EQ(prefiller(*r), nullptr);
  EXPECT_TRUE(host_.logged("prefill profile 'prefill' found no endpoint"));
  EXPECT_EQ(decisions("disagg-profile-handler", kDisaggDecisions, "decode-only"), 1);
}

TEST_F(WithPrefixDecider, AClientCannotChooseThePrefillEndpoint) {
  auto r = request({.headers = {{"x-prefiller-host-port", "6.6.6.6:80"}}, .prompt = "hi"});
  drive(*handler_, *r);
  ASSERT_NE(prefiller(*r), nullptr);
  EXPECT_EQ(*prefiller(*r), "");
}

TEST_F(DisaggProfileHandlerTest, AlwaysDisaggDeciderPrefillsEvenShortPrompts) {
  auto decider = make("always-disagg-pd-decider", ParamValue(), "every-time");
  deciders_.push_back(decider.get());
  auto handler = make("disagg-profile-handler", decidedBy("every-time"));
  auto r = request({.prompt = "hi"}, /*cachedTokens=*/-1);
  EXPECT_EQ(drive(*handler, *r), (std::vector<std::string>{"decode", "prefill"}));
  EXPECT_EQ(*prefiller(*r), "10.0.1.1:8000");
}

TEST_F(DisaggProfileHandlerTest, ADeciderMissingFromTheConfigFailsEveryRequest) {
  auto handler = make("disagg-profile-handler", decidedBy("prefix-based-pd-decider"));
  auto r = request({.prompt = "hi"});
  EXPECT_EQ(handler->pickProfiles(*r, kProfiles, {}), (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(handler->status(), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(
      host_.logged("deciders.prefill names 'prefix-based-pd-decider', but the config has "
                   "no prefix-based-pd-decider or always-disagg-pd-decider of that name"));
}

TEST_F(DisaggProfileHandlerTest, WithoutADeciderEveryRequestIsDecodeOnly) {
  auto handler = make("disagg-profile-handler", ParamValue());
  auto r = request({.prompt = std::string(4000, 'x')});
  EXPECT_EQ(drive(*handler, *r), (std::vector<std::string>{"decode"}));
  // Works with a decode profile alone, too.
  auto alone = request({.prompt = "x"});
  EXPECT_EQ(handler->pickProfiles(*alone, {"decode"}, {}), (std::vector<uint8_t>{1}));
  EXPECT_EQ(handler->status(), EPP_OK);
}

TEST_F(DisaggProfileHandlerTest, MissingProfilesAreNamed) {
  auto handler = make("disagg-profile-handler",
                      ParamValue::map({{"profiles", ParamValue::map({{"decode", "gen"}})}}));
  auto r = request({.prompt = "x"});
  handler->pickProfiles(*r, kProfiles, {});
  EXPECT_EQ(handler->status(), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(host_.logged("the config has no decode profile 'gen' (profiles: prefill, decode)"));
  auto pd = make("pd-profile-handler", ParamValue::map({{"threshold", 5}}));
  pd->pickProfiles(*r, {"decode"}, {});
  EXPECT_TRUE(host_.logged("the config has no prefill profile 'prefill' (profiles: decode)"));
}

TEST_F(DisaggProfileHandlerTest, PrefillFirstRunsPrefillThenDecode) {
  auto handler = make("disagg-profile-handler", ParamValue::map({{"stageOrder", "prefill-first"}}));
  auto r = request({.prompt = "x"});
  EXPECT_EQ(drive(*handler, *r), (std::vector<std::string>{"prefill", "decode"}));
  EXPECT_EQ(primary_, "decode");
  EXPECT_EQ(*prefiller(*r), "10.0.1.1:8000");
}

TEST_F(DisaggProfileHandlerTest, PrefillFirstWithAFailedDecodeIsNoEndpoint) {
  auto handler = make("disagg-profile-handler", ParamValue::map({{"stageOrder", "prefill-first"}}));
  auto r = request({.prompt = "x"});
  drive(*handler, *r, /*decodeOk=*/false);
  // The failed decode result is primary, not the prefill endpoint.
  EXPECT_EQ(primary_, "decode");
  EXPECT_EQ(prefiller(*r), nullptr);
}

// ---- pd-profile-handler's parameters -------------------------------------------------------

TEST_F(DisaggProfileHandlerTest, V03ThresholdCountsUncachedCharacters) {
  auto handler = make("pd-profile-handler", ParamValue::map({{"threshold", 100}}));
  // 120 characters, 8 tokens (32 characters) cached: 88 < 100, decode only.
  auto mostlyCached = request({.prompt = std::string(120, 'x')}, 8);
  EXPECT_EQ(drive(*handler, *mostlyCached), (std::vector<std::string>{"decode"}));
  // 5 tokens cached: 100 uncached, prefill.
  auto lessCached = request({.prompt = std::string(120, 'x')}, 5);
  EXPECT_EQ(drive(*handler, *lessCached), (std::vector<std::string>{"decode", "prefill"}));
  EXPECT_EQ(host_.metricValue("llm_d_inference_scheduler_pd_decision_total", "pd-profile-handler",
                              {"test-model", "prefill-decode"}),
            1);
}

TEST_F(DisaggProfileHandlerTest, PdProfileHandlerWithoutParametersAlwaysDisaggregates) {
  auto handler = make("pd-profile-handler", ParamValue());
  auto r = request({.prompt = "hi"});
  EXPECT_EQ(drive(*handler, *r), (std::vector<std::string>{"decode", "prefill"}));
}

TEST_F(DisaggProfileHandlerTest, PdProfileHandlerUsesTheDefaultDeciderWhenConfigured) {
  auto decider = make("prefix-based-pd-decider", ParamValue::map({{"nonCachedTokens", 16}}));
  deciders_.push_back(decider.get());
  auto handler = make("pd-profile-handler", ParamValue());
  auto r = request({.prompt = "hi"});
  EXPECT_EQ(drive(*handler, *r), (std::vector<std::string>{"decode"}));
}

TEST_F(DisaggProfileHandlerTest, DeciderPluginNameNamesTheDecider) {
  auto decider = make("always-disagg-pd-decider", ParamValue());
  deciders_.push_back(decider.get());
  auto handler = make("pd-profile-handler",
                      ParamValue::map({{"deciderPluginName", "always-disagg-pd-decider"}}));
  auto r = request({.prompt = "hi"});
  EXPECT_EQ(drive(*handler, *r), (std::vector<std::string>{"decode", "prefill"}));
}

TEST_F(DisaggProfileHandlerTest, PrimaryPortSendsDecodeToTheSidecar) {
  auto handler =
      make("pd-profile-handler", ParamValue::map({{"threshold", 0}, {"primaryPort", 9000}}));
  auto r = request({.prompt = "hi"});
  drive(*handler, *r);
  EXPECT_EQ(r->setHeaders().at("x-data-parallel-host-port"), "10.0.0.1:8000");
  EXPECT_EQ(r->setHeaders().at("x-gateway-destination-endpoint"), "10.0.0.1:9000,10.0.0.2:9000");
  EXPECT_EQ(*prefiller(*r), "10.0.1.1:8000");
}

}  // namespace
}  // namespace epp::plugins

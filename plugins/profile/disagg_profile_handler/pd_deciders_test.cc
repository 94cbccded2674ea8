#include "plugins/profile/disagg_profile_handler/pd_deciders.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "epp/testing/fake_host.h"
#include "plugins/profile/disagg_profile_handler/disagg_plugin.h"
#include "plugins/profile/disagg_profile_handler/pd_decider_data.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class PdDecidersTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const std::string& type,
                                              const ParamValue& params = ParamValue(),
                                              const std::string& name = "") {
    return host_.create(plugin_, type, params, name);
  }
  // What `decider` publishes for each endpoint of eps_ for a request.
  std::vector<double> published(testing::FakeInstance& decider, FakeRequest& request) {
    decider.prepareRequest(request, eps_.list());
    EXPECT_EQ(decider.status(), EPP_OK);
    std::vector<double> values(eps_.size(), -7);
    EXPECT_TRUE(request.dataGet(pd::deciderKey(decider.name()), eps_.list(), values.data()));
    return values;
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppDisaggEntry);
  EndpointSet eps_{{.address = "10.0.0.1"}, {.address = "10.0.0.2"}};
};

TEST_F(PdDecidersTest, TheyAreHookOnlyTypes) {
  for (const char* type : {"prefix-based-pd-decider", "always-disagg-pd-decider"}) {
    auto d = make(type);
    ASSERT_NE(d, nullptr) << host_.lastError();
    EXPECT_EQ(d->type()->kinds, EPP_KIND_REQUEST_HOOKS) << type;
  }
}

TEST_F(PdDecidersTest, PrefixBasedPublishesHowMuchMayBeCached) {
  auto d = make("prefix-based-pd-decider", ParamValue::map({{"nonCachedTokens", 16}}));
  ASSERT_NE(d, nullptr) << host_.lastError();
  FakeRequest longPrompt({.prompt = std::string(400, 'a')});  // 100 tokens
  // Prefill when at most 100 - 16 tokens are already cached on the decode endpoint.
  EXPECT_EQ(published(*d, longPrompt), (std::vector<double>{84, 84}));
  FakeRequest exact({.prompt = std::string(64, 'a')});  // 16 tokens: 0 may be cached
  EXPECT_EQ(published(*d, exact), (std::vector<double>{0, 0}));
  FakeRequest shortPrompt({.prompt = std::string(63, 'a')});  // 15 tokens: never
  EXPECT_EQ(published(*d, shortPrompt), (std::vector<double>{pd::kNever, pd::kNever}));
}

TEST_F(PdDecidersTest, TokenIdsCountWhenTheRequestHasThem) {
  auto d = make("prefix-based-pd-decider", ParamValue::map({{"nonCachedTokens", 4}}));
  FakeRequest request({.prompt = "short", .tokenIds = std::vector<uint32_t>(10, 7)});
  EXPECT_EQ(published(*d, request), (std::vector<double>{6, 6}));
}

TEST_F(PdDecidersTest, ZeroNonCachedTokensDisablesIt) {
  auto d = make("prefix-based-pd-decider");
  ASSERT_NE(d, nullptr) << host_.lastError();
  EXPECT_TRUE(host_.logged("nonCachedTokens is 0"));
  FakeRequest request({.prompt = std::string(4000, 'a')});
  EXPECT_EQ(published(*d, request), (std::vector<double>{pd::kNever, pd::kNever}));
}

TEST_F(PdDecidersTest, PromptTokensSkipsShortPrompts) {
  auto d = make("prefix-based-pd-decider",
                ParamValue::map({{"nonCachedTokens", 8}, {"promptTokens", 50}}));
  ASSERT_NE(d, nullptr) << host_.lastError();
  FakeRequest under({.prompt = std::string(196, 'a')});  // 49 tokens
  EXPECT_EQ(published(*d, under), (std::vector<double>{pd::kNever, pd::kNever}));
  FakeRequest over({.prompt = std::string(200, 'a')});  // 50 tokens
  EXPECT_EQ(published(*d, over), (std::vector<double>{42, 42}));
}

TEST_F(PdDecidersTest, AlwaysDisaggPublishesAlways) {
  auto d = make("always-disagg-pd-decider", ParamValue(), "always");
  FakeRequest request({.prompt = "hi"});
  EXPECT_EQ(published(*d, request), (std::vector<double>{pd::kAlways, pd::kAlways}));
}

TEST_F(PdDecidersTest, EachInstancePublishesUnderItsOwnName) {
  auto a = make("prefix-based-pd-decider", ParamValue::map({{"nonCachedTokens", 10}}), "short");
  auto b = make("prefix-based-pd-decider", ParamValue::map({{"nonCachedTokens", 90}}), "long");
  FakeRequest request({.prompt = std::string(400, 'a')});
  EXPECT_EQ(published(*a, request), (std::vector<double>{90, 90}));
  EXPECT_EQ(published(*b, request), (std::vector<double>{10, 10}));
}

TEST_F(PdDecidersTest, RejectsBadParameters) {
  EXPECT_EQ(make("prefix-based-pd-decider", ParamValue::map({{"nonCachedTokens", -1}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"nonCachedTokens\" must be between 0 and"), std::string::npos);
  EXPECT_EQ(make("prefix-based-pd-decider", ParamValue::map({{"threshold", 4}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"threshold\""), std::string::npos);
  EXPECT_EQ(make("always-disagg-pd-decider", ParamValue::map({{"nonCachedTokens", 4}})), nullptr);
}

}  // namespace
}  // namespace epp::plugins

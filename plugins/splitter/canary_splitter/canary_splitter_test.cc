#include "plugins/splitter/canary_splitter/canary_splitter.h"

#include <gtest/gtest.h>

#include <map>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::FakeHost;
using testing::FakeRequest;
using testing::FakeRequestSpec;
using testing::ParamValue;

using Targets = std::vector<std::pair<std::string, double>>;

class CanarySplitterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    auto s = host_.create(plugin_, "canary-splitter", params);
    EXPECT_NE(s, nullptr) << host_.lastError();
    return s;
  }
  // Share of kRuns seeded requests (with `headers`) each target gets.
  std::map<uint32_t, double> shares(testing::FakeInstance& s, const Targets& targets,
                                    FakeRequestSpec spec = {}) {
    std::map<uint32_t, double> out;
    for (uint64_t seed = 0; seed < kRuns; ++seed) {
      spec.seed = seed;
      FakeRequest r(spec);
      uint32_t chosen = s.split(r, targets);
      EXPECT_EQ(s.status(), EPP_OK);
      out[chosen] += 1.0 / kRuns;
    }
    return out;
  }
  static constexpr uint64_t kRuns = 20000;
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppCanarySplitterEntry);
};

TEST_F(CanarySplitterTest, PercentageGoesToTheLastTargetByDefault) {
  auto s = make(ParamValue::map({{"percentage", 5}}));
  auto got = shares(*s, {{"stable", 1}, {"canary", 1}});
  EXPECT_NEAR(got[1], 0.05, 0.01);
  EXPECT_NEAR(got[0], 0.95, 0.01);
}

TEST_F(CanarySplitterTest, WithoutPercentageTheWeightsDecide) {
  auto s = make();
  auto got = shares(*s, {{"stable", 80}, {"canary", 20}});
  EXPECT_NEAR(got[1], 0.20, 0.01);
}

TEST_F(CanarySplitterTest, HeaderSendsEveryRequestToTheCanary) {
  auto s = make(ParamValue::map({{"percentage", 0}, {"header", "X-Canary"}}));
  Targets targets{{"stable", 1}, {"canary", 1}};
  EXPECT_NEAR(shares(*s, targets)[0], 1.0, 1e-9) << "no header, 0%: never the canary";
  auto got = shares(*s, targets, {.headers = {{"x-canary", "yes"}}});
  EXPECT_NEAR(got[1], 1.0, 1e-9);
  // An empty value counts as absent.
  EXPECT_NEAR(shares(*s, targets, {.headers = {{"x-canary", ""}}})[0], 1.0, 1e-9);
}

TEST_F(CanarySplitterTest, HeaderValuesRestrictTheMatch) {
  auto s = make(ParamValue::map({{"header", "x-tenant"},
                                 {"headerValues", ParamValue::list({"beta", "internal"})},
                                 {"percentage", 0},
                                 {"canary", "v2"}}));
  Targets targets{{"v2", 1}, {"v1", 1}};
  FakeRequest beta({.headers = {{"x-tenant", "beta"}}});
  FakeRequest other({.headers = {{"x-tenant", "acme"}}});
  EXPECT_EQ(s->split(beta, targets), 0u);
  EXPECT_EQ(s->split(other, targets), 1u);
}

TEST_F(CanarySplitterTest, RestIsSplitByWeightAmongTheOthers) {
  auto s = make(ParamValue::map({{"percentage", 10}, {"canary", "c"}}));
  auto got = shares(*s, {{"a", 3}, {"c", 50}, {"b", 1}});
  EXPECT_NEAR(got[1], 0.10, 0.01);
  EXPECT_NEAR(got[0], 0.90 * 0.75, 0.01);
  EXPECT_NEAR(got[2], 0.90 * 0.25, 0.01);
}

TEST_F(CanarySplitterTest, UnknownCanaryModelIsAnError) {
  auto s = make(ParamValue::map({{"canary", "v9"}}));
  FakeRequest r;
  s->split(r, {{"v1", 1}, {"v2", 1}});
  EXPECT_EQ(s->status(), EPP_ERR_INVALID_ARGUMENT);
}

TEST_F(CanarySplitterTest, ParameterMistakesAreRefused) {
  EXPECT_EQ(host_.create(plugin_, "canary-splitter", ParamValue::map({{"percentage", 101}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("percentage"), std::string::npos) << host_.lastError();
  EXPECT_EQ(host_.create(plugin_, "canary-splitter",
                         ParamValue::map({{"headerValues", ParamValue::list({"a"})}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("headerValues needs header"), std::string::npos)
      << host_.lastError();
  EXPECT_EQ(host_.create(plugin_, "canary-splitter", ParamValue::map({{"percent", 5}})), nullptr);
}

}  // namespace
}  // namespace epp::plugins

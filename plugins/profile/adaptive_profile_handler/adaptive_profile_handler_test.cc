// adaptive-profile-handler through the fake host: rules parsed and refused with reasons,
// a priority rule, a pool rule with hysteresis and a minimum dwell time, the metrics of
// its choice; and the rule engine alone on a hovering signal.
#include "plugins/profile/adaptive_profile_handler/adaptive_profile_handler.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

constexpr int64_t kSecond = 1'000'000'000;
const std::vector<std::string> kProfiles = {"cost-first", "load-first", "latency-first"};

ParamValue params(double enter, double exit, const std::string& minDwell) {
  return ParamValue::map(
      {{"defaultProfile", "cost-first"},
       {"minDwell", minDwell},
       {"rules",
        ParamValue::list({ParamValue::map({{"profile", "latency-first"}, {"priorityAtLeast", 100}}),
                          ParamValue::map({{"profile", "load-first"},
                                           {"signal", "kvCacheUtilization"},
                                           {"enterAbove", enter},
                                           {"exitBelow", exit}})})}});
}

class AdaptiveProfileHandlerTest : public ::testing::Test {
 protected:
  void make(const ParamValue& p) {
    handler_ = host_.create(plugin_, "adaptive-profile-handler", p, "adaptive");
    ASSERT_NE(handler_, nullptr) << host_.lastError();
  }
  // The profile run for a request at `seconds` over a pool whose mean KV use is `kv`.
  std::string pick(double kv, double seconds, int32_t priority = 0) {
    EndpointSet pool{
        {{.address = "10.0.0.1", .kvCacheUsage = kv}, {.address = "10.0.0.2", .kvCacheUsage = kv}}};
    FakeRequest request(
        {.priority = priority, .receivedNs = static_cast<int64_t>(seconds * kSecond)}, &pool);
    std::vector<uint8_t> run = handler_->pickProfiles(request, kProfiles, {});
    EXPECT_EQ(handler_->status(), EPP_OK) << host_.lastError();
    std::string chosen;
    for (size_t i = 0; i < run.size(); ++i) {
      if (run[i] != 0) {
        EXPECT_TRUE(chosen.empty()) << "more than one profile";
        chosen = kProfiles[i];
      }
    }
    return chosen;
  }
  double switches(const std::string& from, const std::string& to) {
    double v = host_.metricValue("eppd_adaptive_profile_switches_total", "adaptive", {from, to});
    return std::isnan(v) ? 0 : v;
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppAdaptiveProfileHandlerEntry);
  std::unique_ptr<testing::FakeInstance> handler_;
};

TEST_F(AdaptiveProfileHandlerTest, SwitchesAboveEnterAndBackOnlyBelowExit) {
  make(params(0.8, 0.5, "0s"));
  EXPECT_EQ(pick(0.3, 1), "cost-first");
  EXPECT_EQ(pick(0.85, 2), "load-first");
  EXPECT_EQ(pick(0.7, 3), "load-first");  // between the thresholds: stays
  EXPECT_EQ(pick(0.6, 4), "load-first");
  EXPECT_EQ(pick(0.45, 5), "cost-first");
  EXPECT_EQ(pick(0.7, 6), "cost-first");  // between again: stays the other way
  EXPECT_EQ(switches("cost-first", "load-first"), 1);
  EXPECT_EQ(switches("load-first", "cost-first"), 1);
  EXPECT_EQ(host_.metricValue("eppd_adaptive_profile_active", "adaptive", {"cost-first"}), 1);
  EXPECT_EQ(host_.metricValue("eppd_adaptive_profile_active", "adaptive", {"load-first"}), 0);
  EXPECT_EQ(host_.metricValue("eppd_adaptive_profile_requests_total", "adaptive",
                              {"load-first", "rules[1]"}),
            3);
  EXPECT_EQ(host_.metricValue("eppd_adaptive_profile_requests_total", "adaptive",
                              {"cost-first", "default"}),
            3);
  EXPECT_TRUE(host_.logged("pool choice cost-first -> load-first"));
}

TEST_F(AdaptiveProfileHandlerTest, MinDwellHoldsAChoiceAfterASwitch) {
  make(params(0.8, 0.5, "10s"));
  EXPECT_EQ(pick(0.9, 1), "load-first");
  EXPECT_EQ(pick(0.1, 5), "load-first");  // 4 s after the switch: held
  EXPECT_EQ(pick(0.1, 11.5), "cost-first");
  EXPECT_EQ(pick(0.95, 12), "cost-first");  // held again
  EXPECT_EQ(pick(0.95, 21.6), "load-first");
  EXPECT_EQ(switches("cost-first", "load-first"), 2);
  EXPECT_EQ(switches("load-first", "cost-first"), 1);
}

TEST_F(AdaptiveProfileHandlerTest, PriorityRuleWinsOverThePoolAndDoesNotMoveIt) {
  make(params(0.8, 0.5, "0s"));
  EXPECT_EQ(pick(0.1, 1, /*priority=*/100), "latency-first");
  EXPECT_EQ(pick(0.9, 2, /*priority=*/150), "latency-first");
  EXPECT_EQ(pick(0.9, 3, /*priority=*/99), "load-first");
  // The pool state moved with the priority request, so one switch, not two.
  EXPECT_EQ(switches("cost-first", "load-first"), 1);
}

TEST_F(AdaptiveProfileHandlerTest, RunsOnceAndTheResultIsPrimary) {
  make(params(0.8, 0.5, "0s"));
  EndpointSet eps{{{.address = "10.0.0.1"}}};
  FakeRequest request({}, &eps);
  std::vector<testing::FakeProfileResult> ran{{.name = "cost-first", .targets = {eps.view(0)}}};
  EXPECT_EQ(handler_->pickProfiles(request, kProfiles, ran), (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(handler_->processResults(request, ran), 0u);
  EXPECT_EQ(handler_->status(), EPP_OK);
  std::vector<testing::FakeProfileResult> failed{{.name = "cost-first", .ok = false}};
  handler_->processResults(request, failed);
  EXPECT_EQ(handler_->status(), EPP_ERR_UNAVAILABLE);
}

TEST_F(AdaptiveProfileHandlerTest, AProfileTheConfigLacksIsAnErrorNamingIt) {
  make(params(0.8, 0.5, "0s"));
  EndpointSet eps{{{.address = "10.0.0.1"}}};
  FakeRequest request({}, &eps);
  handler_->pickProfiles(request, {"default"}, {});
  EXPECT_NE(handler_->status(), EPP_OK);
  EXPECT_TRUE(
      host_.logged("chose profile 'cost-first', which the config's schedulingProfiles "
                   "do not define"));
}

TEST_F(AdaptiveProfileHandlerTest, BadRulesAreRefusedWithTheReason) {
  struct Case {
    ParamValue params;
    std::string error;
  };
  std::vector<Case> cases;
  cases.push_back(
      {ParamValue::map({{"defaultProfile", ""}}), "defaultProfile must name the profile"});
  cases.push_back(
      {ParamValue::map(
           {{"defaultProfile", "a"},
            {"rules", ParamValue::list({ParamValue::map(
                          {{"profile", "b"}, {"signal", "gpu"}, {"enterAbove", 1}})})}}),
       "signal 'gpu' is not one of kvCacheUtilization, queueDepth, inflight"});
  cases.push_back(
      {ParamValue::map(
           {{"defaultProfile", "a"},
            {"rules", ParamValue::list({ParamValue::map(
                          {{"profile", "b"}, {"enterAbove", 0.5}, {"exitBelow", 0.7}})})}}),
       "exitBelow (0.700000) must not be above enterAbove (0.500000)"});
  cases.push_back(
      {ParamValue::map(
           {{"defaultProfile", "a"},
            {"rules", ParamValue::list({ParamValue::map(
                          {{"profile", "b"}, {"priorityAtLeast", 5}, {"enterAbove", 0.5}})})}}),
       "a rule tests either priorityAtLeast or a pool signal"});
  cases.push_back(
      {ParamValue::map({{"defaultProfile", "a"},
                        {"rules", ParamValue::list({ParamValue::map({{"profile", "b"}})})}}),
       "enterAbove (>= 0) or priorityAtLeast is required"});
  cases.push_back({ParamValue::map({{"defaultProfile", "a"}, {"hysteresis", 1}}), "hysteresis"});
  for (const Case& c : cases) {
    EXPECT_EQ(host_.create(plugin_, "adaptive-profile-handler", c.params, "adaptive"), nullptr)
        << c.error;
    EXPECT_NE(host_.lastError().find(c.error), std::string::npos) << host_.lastError();
  }
}

// The rule engine alone: a signal hovering around one threshold flaps a rule without
// hysteresis and not a rule with it.
TEST(AdaptiveRulesTest, HysteresisStopsAHoveringSignalFromFlapping) {
  auto flips = [](double exitBelow) {
    adaptive::Rules rules({{.profile = "load", .enterAbove = 0.8, .exitBelow = exitBelow}}, "cost",
                          0);
    int changes = 0;
    for (int i = 0; i < 100; ++i) {
      adaptive::PoolSignals pool;
      pool.kvCacheUtilization = (i % 2 == 0) ? 0.79 : 0.81;
      if (rules.choose(0, pool, i).switched) ++changes;
    }
    return changes;
  };
  EXPECT_EQ(flips(0.8), 99);  // the first reading (0.79) is already off
  EXPECT_EQ(flips(0.6), 1);
}

}  // namespace
}  // namespace epp::plugins

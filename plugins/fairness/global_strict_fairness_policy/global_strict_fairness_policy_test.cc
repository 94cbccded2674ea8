#include "plugins/fairness/global_strict_fairness_policy/global_strict_fairness_policy.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::FakeFlow;
using testing::FakeHost;
using testing::FakeRequest;
using testing::makeQueued;
using testing::ParamValue;

class GlobalStrictFairnessPolicyTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "global-strict-fairness-policy", params);
  }
  FakeFlow flow(std::string id, const epp_queued_request* head, size_t queued = 1) {
    return {.fairnessId = std::move(id), .queued = queued, .head = head};
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppGlobalStrictFairnessPolicyEntry);
  FakeRequest r_;
};

TEST_F(GlobalStrictFairnessPolicyTest, IsAFairnessPolicy) {
  ASSERT_NE(plugin_, nullptr) << host_.lastError();
  ASSERT_EQ(plugin_->types_count, 1u);
  EXPECT_EQ(plugin_->types[0]->kinds, EPP_KIND_FAIRNESS_POLICY);
}

TEST_F(GlobalStrictFairnessPolicyTest, PicksTheFlowWhoseHeadWasEnqueuedFirst) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  // Head sequences 30, 12, 45: "tenant-b" holds the oldest request.
  auto h30 = makeQueued(r_, 30, 300), h12 = makeQueued(r_, 12, 900), h45 = makeQueued(r_, 45, 1);
  EXPECT_EQ(p->pickFlow(0, {flow("tenant-a", &h30, 5), flow("tenant-b", &h12, 1),
                            flow("tenant-c", &h45, 9)}),
            1u);
  EXPECT_EQ(p->status(), EPP_OK);
  // Decided by sequence alone: not by enqueue time, queue length, or list position.
  EXPECT_EQ(p->pickFlow(0, {flow("tenant-c", &h45, 9), flow("tenant-a", &h30, 5)}), 1u);
  EXPECT_EQ(p->pickFlow(0, {flow("tenant-a", &h30)}), 0u);
}

TEST_F(GlobalStrictFairnessPolicyTest, DrainingFlowsInTurnIsGlobalFcfs) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  // Three flows' queues (FCFS inside each); the policy must interleave them by sequence.
  std::vector<std::vector<epp_queued_request>> queues = {
      {makeQueued(r_, 1, 0), makeQueued(r_, 4, 0), makeQueued(r_, 5, 0)},
      {makeQueued(r_, 2, 0), makeQueued(r_, 8, 0)},
      {makeQueued(r_, 3, 0), makeQueued(r_, 6, 0), makeQueued(r_, 7, 0)}};
  std::vector<size_t> next(queues.size(), 0);
  std::vector<uint64_t> dispatched;
  for (;;) {
    std::vector<FakeFlow> flows;
    std::vector<size_t> which;
    for (size_t f = 0; f < queues.size(); ++f) {
      if (next[f] == queues[f].size()) continue;  // the host lists non-empty flows only
      flows.push_back(
          flow("flow-" + std::to_string(f), &queues[f][next[f]], queues[f].size() - next[f]));
      which.push_back(f);
    }
    if (flows.empty()) break;
    uint32_t i = p->pickFlow(0, flows);
    ASSERT_EQ(p->status(), EPP_OK);
    ASSERT_LT(i, flows.size());
    dispatched.push_back(queues[which[i]][next[which[i]]++].sequence);
  }
  EXPECT_EQ(dispatched, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(GlobalStrictFairnessPolicyTest, SkipsFlowsWithoutAHeadAndFailsWhenNoneHasOne) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  auto h9 = makeQueued(r_, 9, 0), h3 = makeQueued(r_, 3, 0);
  EXPECT_EQ(p->pickFlow(0, {flow("empty", &h3, 0), flow("no-head", nullptr, 2), flow("x", &h9)}),
            2u);
  EXPECT_EQ(p->status(), EPP_OK);
  p->pickFlow(0, {flow("empty", &h3, 0)});
  EXPECT_EQ(p->status(), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(host_.logged("no flow has a queued request"));
  p->pickFlow(0, {});
  EXPECT_EQ(p->status(), EPP_ERR_INVALID_ARGUMENT);
}

TEST_F(GlobalStrictFairnessPolicyTest, RejectsUnknownParameters) {
  EXPECT_EQ(make(ParamValue::map({{"strict", true}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"strict\""), std::string::npos)
      << host_.lastError();
}

}  // namespace
}  // namespace epp::plugins

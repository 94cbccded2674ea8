#include "plugins/fairness/round_robin_fairness_policy/round_robin_fairness_policy.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::FakeFlow;
using testing::FakeHost;
using testing::ParamValue;

class RoundRobinFairnessPolicyTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "round-robin-fairness-policy", params);
  }
  static std::vector<FakeFlow> flows(std::vector<std::string> ids, int32_t priority = 0) {
    std::vector<FakeFlow> out;
    for (auto& id : ids) out.push_back({.fairnessId = std::move(id), .priority = priority});
    return out;
  }
  // The fairness id picked from `list` in band `priority`.
  std::string pick(testing::FakeInstance& p, const std::vector<FakeFlow>& list,
                   int32_t priority = 0) {
    uint32_t i = p.pickFlow(priority, list);
    if (p.status() != EPP_OK || i >= list.size()) return "<error>";
    return list[i].fairnessId;
  }
  std::vector<std::string> picks(testing::FakeInstance& p, const std::vector<FakeFlow>& list,
                                 size_t n, int32_t priority = 0) {
    std::vector<std::string> out;
    for (size_t k = 0; k < n; ++k) out.push_back(pick(p, list, priority));
    return out;
  }
  using Ids = std::vector<std::string>;
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppRoundRobinFairnessPolicyEntry);
};

TEST_F(RoundRobinFairnessPolicyTest, IsAFairnessPolicyWithBandState) {
  ASSERT_NE(plugin_, nullptr) << host_.lastError();
  ASSERT_EQ(plugin_->types_count, 1u);
  EXPECT_EQ(plugin_->types[0]->kinds, EPP_KIND_FAIRNESS_POLICY);
  ASSERT_NE(plugin_->types[0]->fairness_policy, nullptr);
  EXPECT_NE(plugin_->types[0]->fairness_policy->band_state_new, nullptr);
  EXPECT_NE(plugin_->types[0]->fairness_policy->band_state_destroy, nullptr);
}

TEST_F(RoundRobinFairnessPolicyTest, RotatesInFairnessIdOrderWhateverTheListOrder) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  EXPECT_EQ(picks(*p, flows({"c", "a", "b"}), 7), (Ids{"a", "b", "c", "a", "b", "c", "a"}));
  // The host may list the same flows in another order: the rotation goes on from "a".
  EXPECT_EQ(picks(*p, flows({"b", "c", "a"}), 3), (Ids{"b", "c", "a"}));
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(RoundRobinFairnessPolicyTest, SkipsEmptyFlows) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  auto list = flows({"a", "b", "c", "d"});
  list[1].queued = 0;  // "b" has nothing queued
  EXPECT_EQ(picks(*p, list, 6), (Ids{"a", "c", "d", "a", "c", "d"}));
  list[1].queued = 3;  // "b" has work again: it gets its next turn, after "a"
  EXPECT_EQ(picks(*p, list, 5), (Ids{"a", "b", "c", "d", "a"}));
}

TEST_F(RoundRobinFairnessPolicyTest, AFlowThatAppearsWaitsAtMostOneRotation) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  EXPECT_EQ(picks(*p, flows({"a", "c", "e"}), 2), (Ids{"a", "c"}));
  // "b" appears behind the cursor ("c"): "e" and "a" keep their turns, then "b".
  // "d" appears ahead of it and is served right after "c".
  EXPECT_EQ(picks(*p, flows({"e", "d", "c", "b", "a"}), 6), (Ids{"d", "e", "a", "b", "c", "d"}));
}

TEST_F(RoundRobinFairnessPolicyTest, AFlowThatDisappearsDoesNotShiftTheOthers) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  EXPECT_EQ(picks(*p, flows({"a", "b", "c", "d"}), 2), (Ids{"a", "b"}));
  // "b", just served, drains and leaves: "c" is still next, not "a" again and not "d".
  EXPECT_EQ(picks(*p, flows({"a", "c", "d"}), 4), (Ids{"c", "d", "a", "c"}));
  // "d", next in line, leaves: the turn passes to "a", nobody is served twice.
  EXPECT_EQ(picks(*p, flows({"a", "c"}), 3), (Ids{"a", "c", "a"}));
  // Over the whole run every flow present got one dispatch per rotation.
}

TEST_F(RoundRobinFairnessPolicyTest, EachBandKeepsItsOwnCursor) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  EXPECT_EQ(pick(*p, flows({"x", "y", "z"}, 10), 10), "x");
  EXPECT_EQ(pick(*p, flows({"x", "y", "z"}, 10), 10), "y");
  // Band 0 starts its own rotation: not continuing from band 10's "y".
  EXPECT_EQ(picks(*p, flows({"x", "y", "z"}), 2, 0), (Ids{"x", "y"}));
  EXPECT_EQ(pick(*p, flows({"x", "y", "z"}, 10), 10), "z");
  EXPECT_EQ(pick(*p, flows({"x", "y", "z"}), 0), "z");
}

TEST_F(RoundRobinFairnessPolicyTest, IdsCompareAsBytes) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  // Byte order: "B" < "a" < "a-1" < "aa"; the empty id (no fairness header) sorts first.
  EXPECT_EQ(picks(*p, flows({"aa", "a-1", "a", "B", ""}), 6), (Ids{"", "B", "a", "a-1", "aa", ""}));
}

TEST_F(RoundRobinFairnessPolicyTest, FailsWhenNoFlowHasWork) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  auto list = flows({"a"});
  list[0].queued = 0;
  p->pickFlow(0, list);
  EXPECT_EQ(p->status(), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(host_.logged("no flow has a queued request"));
  p->pickFlow(0, {});
  EXPECT_EQ(p->status(), EPP_ERR_INVALID_ARGUMENT);
  // The failed calls did not move the cursor.
  EXPECT_EQ(pick(*p, flows({"a", "b"})), "a");
}

TEST_F(RoundRobinFairnessPolicyTest, RejectsUnknownParameters) {
  EXPECT_EQ(make(ParamValue::map({{"order", "id"}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"order\""), std::string::npos)
      << host_.lastError();
}

}  // namespace
}  // namespace epp::plugins

#include "plugins/ordering/priority_ordering_policy/priority_ordering_policy.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"
#include "plugins/ordering/ordering_test_support.h"

namespace epp::plugins {
namespace {

using ordering_test::dispatchOrder;
using ordering_test::expectStrictWeakOrder;
using testing::FakeHost;
using testing::FakeRequest;
using testing::makeQueued;
using testing::ParamValue;

class PriorityOrderingPolicyTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "priority-ordering-policy", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppPriorityOrderingPolicyEntry);
};

TEST_F(PriorityOrderingPolicyTest, IsAnOrderingPolicyNeedingItsQueueShape) {
  ASSERT_NE(plugin_, nullptr) << host_.lastError();
  ASSERT_EQ(plugin_->types_count, 1u);
  EXPECT_EQ(plugin_->types[0]->kinds, EPP_KIND_ORDERING_POLICY);
  ASSERT_NE(plugin_->types[0]->ordering_policy, nullptr);
  EXPECT_EQ(plugin_->types[0]->ordering_policy->queue_capabilities, EPP_QUEUE_CAP_PRIORITY);
}

TEST_F(PriorityOrderingPolicyTest, RejectsUnknownParameters) {
  EXPECT_EQ(make(ParamValue::map({{"order", "x"}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"order\""), std::string::npos)
      << host_.lastError();
}

TEST_F(PriorityOrderingPolicyTest, HigherPriorityFirstThenArrivalOrder) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  FakeRequest sheddable({.priority = -1}), standard({.priority = 0}), critical({.priority = 10});
  std::vector<epp_queued_request> q = {
      makeQueued(standard, 1, 100, 100), makeQueued(sheddable, 2, 200, 1),
      makeQueued(critical, 3, 300),      makeQueued(standard, 4, 400, 1),
      makeQueued(critical, 5, 500, 2),   makeQueued(sheddable, 6, 600),
      makeQueued(standard, 7, 700)};
  EXPECT_EQ(dispatchOrder(*p, q), (std::vector<uint64_t>{3, 5, 1, 4, 7, 2, 6}));
  EXPECT_EQ(dispatchOrder(*p, q, /*seed=*/99), (std::vector<uint64_t>{3, 5, 1, 4, 7, 2, 6}));
  EXPECT_TRUE(p->less(q[2], q[0]));   // priority 10 before 0 though later
  EXPECT_TRUE(p->less(q[0], q[3]));   // both 0: sequence 1 before 4
  EXPECT_FALSE(p->less(q[1], q[0]));  // -1 never before 0
  EXPECT_FALSE(p->less(q[6], q[6]));
  expectStrictWeakOrder(*p, q);
}

}  // namespace
}  // namespace epp::plugins

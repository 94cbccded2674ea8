#include "plugins/ordering/lifo_ordering_policy/lifo_ordering_policy.h"

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

class LifoOrderingPolicyTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "lifo-ordering-policy", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLifoOrderingPolicyEntry);
};

TEST_F(LifoOrderingPolicyTest, IsAnOrderingPolicyNeedingItsQueueShape) {
  ASSERT_NE(plugin_, nullptr) << host_.lastError();
  ASSERT_EQ(plugin_->types_count, 1u);
  EXPECT_EQ(plugin_->types[0]->kinds, EPP_KIND_ORDERING_POLICY);
  ASSERT_NE(plugin_->types[0]->ordering_policy, nullptr);
  EXPECT_EQ(plugin_->types[0]->ordering_policy->queue_capabilities, EPP_QUEUE_CAP_PRIORITY);
}

TEST_F(LifoOrderingPolicyTest, RejectsUnknownParameters) {
  EXPECT_EQ(make(ParamValue::map({{"order", "x"}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"order\""), std::string::npos)
      << host_.lastError();
}

TEST_F(LifoOrderingPolicyTest, LaterSequenceFirst) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  FakeRequest low({.priority = -5}), high({.priority = 9});
  std::vector<epp_queued_request> q = {
      makeQueued(high, 40, 900, 1000), makeQueued(low, 10, 100, 5000),
      makeQueued(high, 30, 50, 10),    makeQueued(low, 20, 300, INT64_MAX),
      makeQueued(low, 50, 10, 1),      makeQueued(high, 11, 700, 20)};
  EXPECT_EQ(dispatchOrder(*p, q), (std::vector<uint64_t>{50, 40, 30, 20, 11, 10}));
  EXPECT_EQ(dispatchOrder(*p, q, /*seed=*/99), (std::vector<uint64_t>{50, 40, 30, 20, 11, 10}));
  EXPECT_TRUE(p->less(q[0], q[1]));
  EXPECT_FALSE(p->less(q[1], q[0]));
  EXPECT_FALSE(p->less(q[4], q[4]));
  expectStrictWeakOrder(*p, q);
}

}  // namespace
}  // namespace epp::plugins

#include "plugins/ordering/edf_ordering_policy/edf_ordering_policy.h"

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

class EdfOrderingPolicyTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "edf-ordering-policy", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppEdfOrderingPolicyEntry);
};

TEST_F(EdfOrderingPolicyTest, IsAnOrderingPolicyNeedingItsQueueShape) {
  ASSERT_NE(plugin_, nullptr) << host_.lastError();
  ASSERT_EQ(plugin_->types_count, 1u);
  EXPECT_EQ(plugin_->types[0]->kinds, EPP_KIND_ORDERING_POLICY);
  ASSERT_NE(plugin_->types[0]->ordering_policy, nullptr);
  EXPECT_EQ(plugin_->types[0]->ordering_policy->queue_capabilities, EPP_QUEUE_CAP_PRIORITY);
}

TEST_F(EdfOrderingPolicyTest, RejectsUnknownParameters) {
  EXPECT_EQ(make(ParamValue::map({{"order", "x"}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"order\""), std::string::npos)
      << host_.lastError();
}

TEST_F(EdfOrderingPolicyTest, EarliestDeadlineFirstTiesBySequenceNoDeadlineLast) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  FakeRequest r;
  std::vector<epp_queued_request> q = {
      makeQueued(r, 1, 100, INT64_MAX),  // no TTL: after every deadline
      makeQueued(r, 2, 200, 5000),      makeQueued(r, 3, 300, 1200),
      makeQueued(r, 4, 400, 1200),  // same deadline as 3: arrival order
      makeQueued(r, 5, 500, 900),       makeQueued(r, 6, 600, INT64_MAX),
      makeQueued(r, 7, 700, 1200)};
  EXPECT_EQ(dispatchOrder(*p, q), (std::vector<uint64_t>{5, 3, 4, 7, 2, 1, 6}));
  EXPECT_EQ(dispatchOrder(*p, q, /*seed=*/99), (std::vector<uint64_t>{5, 3, 4, 7, 2, 1, 6}));
  EXPECT_TRUE(p->less(q[4], q[1]));  // 900 before 5000 though it arrived later
  EXPECT_TRUE(p->less(q[2], q[3]));  // tie on 1200: sequence 3 before 4
  EXPECT_FALSE(p->less(q[3], q[2]));
  EXPECT_FALSE(p->less(q[2], q[2]));
  expectStrictWeakOrder(*p, q);
}

}  // namespace
}  // namespace epp::plugins

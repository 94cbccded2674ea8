#include "plugins/ordering/slo_deadline_ordering_policy/slo_deadline_ordering_policy.h"

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

constexpr int64_t kMs = 1'000'000;
constexpr std::string_view kMetric = SloDeadlineOrderingPolicy::kMalformedMetric;

// A request received at `receivedMs` with `x-slo-ttft-ms: slo` (no header when empty).
FakeRequest request(int64_t receivedMs, std::string slo) {
  testing::FakeRequestSpec spec{.receivedNs = receivedMs * kMs};
  if (!slo.empty()) spec.headers = {{"x-slo-ttft-ms", std::move(slo)}};
  return FakeRequest(std::move(spec));
}

class SloDeadlineOrderingPolicyTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "slo-deadline-ordering-policy", params);
  }
  size_t warnings() const {
    size_t n = 0;
    for (const auto& l : host_.logs()) {
      n += l.level == EPP_LOG_WARN && l.message.find("x-slo-ttft-ms") != std::string::npos;
    }
    return n;
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppSloDeadlineOrderingPolicyEntry);
};

TEST_F(SloDeadlineOrderingPolicyTest, IsAnOrderingPolicyNeedingAHeap) {
  ASSERT_NE(plugin_, nullptr) << host_.lastError();
  ASSERT_EQ(plugin_->types_count, 1u);
  EXPECT_EQ(plugin_->types[0]->kinds, EPP_KIND_ORDERING_POLICY);
  ASSERT_NE(plugin_->types[0]->ordering_policy, nullptr);
  EXPECT_EQ(plugin_->types[0]->ordering_policy->queue_capabilities, EPP_QUEUE_CAP_PRIORITY);
}

TEST_F(SloDeadlineOrderingPolicyTest, EarliestReceivedPlusSloFirstThenThoseWithoutBySequence) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  FakeRequest a = request(1000, "500");    // deadline 1500 ms
  FakeRequest b = request(1200, "100");    // 1300 ms: before a though received later
  FakeRequest c = request(900, "");        // no header
  FakeRequest d = request(0, "2000");      // 2000 ms
  FakeRequest e = request(1250, "50");     // 1300 ms: ties with b
  FakeRequest f = request(1000, "250.5");  // 1250.5 ms
  FakeRequest g = request(10, "");         // no header
  FakeRequest h = request(1000, " 0 ");    // 1000 ms; blanks around the value are fine
  // Sequences deliberately disagree with the deadlines; ties fall back to them.
  std::vector<epp_queued_request> q = {
      makeQueued(a, 1, 0), makeQueued(b, 7, 0), makeQueued(c, 2, 0), makeQueued(d, 3, 0),
      makeQueued(e, 5, 0), makeQueued(f, 8, 0), makeQueued(g, 4, 0), makeQueued(h, 6, 0)};
  //          h(1000) f(1250.5) e(1300,#5) b(1300,#7) a(1500) d(2000) | c(#2) g(#4)
  const std::vector<uint64_t> want{6, 8, 5, 7, 1, 3, 2, 4};
  EXPECT_EQ(dispatchOrder(*p, q), want);
  EXPECT_EQ(dispatchOrder(*p, q, /*seed=*/99), want);
  EXPECT_TRUE(p->less(q[1], q[0]));
  EXPECT_TRUE(p->less(q[4], q[1]));  // tie on 1300 ms: sequence 5 before 7
  EXPECT_TRUE(p->less(q[3], q[2]));  // any SLO before none, however late
  EXPECT_TRUE(p->less(q[2], q[6]));  // both without: sequence 2 before 4
  EXPECT_FALSE(p->less(q[6], q[2]));
  EXPECT_FALSE(p->less(q[0], q[0]));
  expectStrictWeakOrder(*p, q);
  EXPECT_EQ(p->status(), EPP_OK);
  EXPECT_DOUBLE_EQ(host_.metricValue(std::string(kMetric), "slo-deadline-ordering-policy"), 0);
}

TEST_F(SloDeadlineOrderingPolicyTest, ParsesTheHeaderOnceAndCachesTheDeadlineInTheRequestState) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  FakeRequest a = request(1000, "500");
  FakeRequest b = request(1000, "700");
  auto qa = makeQueued(a, 1, 0), qb = makeQueued(b, 2, 0);
  EXPECT_EQ(a.state(p->hostHandle()), nullptr);
  EXPECT_TRUE(p->less(qa, qb));
  const auto* cached = static_cast<const SloDeadline*>(a.state(p->hostHandle()));
  ASSERT_NE(cached, nullptr);
  EXPECT_TRUE(cached->hasDeadline);
  EXPECT_EQ(cached->deadlineNs, 1500 * kMs);
  // Later comparisons read the slot, not the header: a different cached value changes
  // the order although the header still says 500.
  a.setState(p->hostHandle(), new SloDeadline{true, 1800 * kMs},
             [](void* s) { delete static_cast<SloDeadline*>(s); });
  EXPECT_FALSE(p->less(qa, qb));
  EXPECT_TRUE(p->less(qb, qa));
}

TEST_F(SloDeadlineOrderingPolicyTest, MalformedValuesOrderAsAbsentAndAreCountedOncePerRequest) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  FakeRequest ok = request(1000, "100");
  FakeRequest words = request(0, "soon");
  FakeRequest negative = request(0, "-5");
  FakeRequest nan = request(0, "nan");
  FakeRequest trailing = request(0, "10ms");
  FakeRequest none = request(0, "");
  std::vector<epp_queued_request> q = {makeQueued(words, 1, 0),    makeQueued(negative, 2, 0),
                                       makeQueued(none, 3, 0),     makeQueued(nan, 4, 0),
                                       makeQueued(trailing, 5, 0), makeQueued(ok, 6, 0)};
  // Only `ok` has a usable SLO; the rest keep arrival order behind it.
  EXPECT_EQ(dispatchOrder(*p, q), (std::vector<uint64_t>{6, 1, 2, 3, 4, 5}));
  expectStrictWeakOrder(*p, q);  // hundreds more comparisons
  EXPECT_EQ(dispatchOrder(*p, q, /*seed=*/99), (std::vector<uint64_t>{6, 1, 2, 3, 4, 5}));
  EXPECT_DOUBLE_EQ(host_.metricValue(std::string(kMetric), "slo-deadline-ordering-policy"), 4);
  EXPECT_EQ(warnings(), 1u);
  EXPECT_TRUE(host_.logged("ignoring malformed x-slo-ttft-ms"));
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(SloDeadlineOrderingPolicyTest, HugeSloSaturatesInsteadOfOverflowing) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  FakeRequest huge = request(1000, "1e300");                // not fixed notation: malformed
  FakeRequest big = request(1000, "99999999999999999999");  // saturates at INT64_MAX
  FakeRequest sane = request(5000, "100000");
  FakeRequest none = request(0, "");
  std::vector<epp_queued_request> q = {makeQueued(none, 1, 0), makeQueued(big, 2, 0),
                                       makeQueued(sane, 3, 0), makeQueued(huge, 4, 0)};
  EXPECT_EQ(dispatchOrder(*p, q), (std::vector<uint64_t>{3, 2, 1, 4}));
  EXPECT_DOUBLE_EQ(host_.metricValue(std::string(kMetric), "slo-deadline-ordering-policy"), 1);
}

TEST(SloDeadlineParseTest, AcceptsNonNegativeDecimalMillis) {
  EXPECT_EQ(SloDeadlineOrderingPolicy::parseMillis("250"), 250.0);
  EXPECT_EQ(SloDeadlineOrderingPolicy::parseMillis("0.5"), 0.5);
  EXPECT_EQ(SloDeadlineOrderingPolicy::parseMillis("\t42 "), 42.0);
  EXPECT_EQ(SloDeadlineOrderingPolicy::parseMillis(""), std::nullopt);
  EXPECT_EQ(SloDeadlineOrderingPolicy::parseMillis("  "), std::nullopt);
  EXPECT_EQ(SloDeadlineOrderingPolicy::parseMillis("-1"), std::nullopt);
  EXPECT_EQ(SloDeadlineOrderingPolicy::parseMillis("12abc"), std::nullopt);
  EXPECT_EQ(SloDeadlineOrderingPolicy::parseMillis("inf"), std::nullopt);
  EXPECT_EQ(SloDeadlineOrderingPolicy::parseMillis("1e3"), std::nullopt);
}

TEST_F(SloDeadlineOrderingPolicyTest, RejectsUnknownParameters) {
  EXPECT_EQ(make(ParamValue::map({{"header", "x-other"}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"header\""), std::string::npos)
      << host_.lastError();
}

}  // namespace
}  // namespace epp::plugins

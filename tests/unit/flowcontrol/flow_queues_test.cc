// FlowQueues with the built-in policy plugins loaded through the real loader: strict band
// order, fairness between flows, ordering within a flow, limits, TTL expiry, removal of a
// cancelled request, and a reload changing policies under queued requests.
#include "host/flowcontrol/flow_queues.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/unit/flowcontrol/flow_test_support.h"

namespace epp::flowcontrol {
namespace {

using testing::bandOf;
using testing::instance;
using testing::Outcome;
using testing::RecordingRequest;
using testing::share;
using testing::TestConfig;
using testing::TestRequest;

class FlowQueuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* type : {"fcfs-ordering-policy", "lifo-ordering-policy", "edf-ordering-policy",
                             "slo-deadline-ordering-policy", "priority-ordering-policy",
                             "global-strict-fairness-policy", "round-robin-fairness-policy"}) {
      policies_[type] = instance(type);
      ASSERT_NE(policies_[type], nullptr) << type;
    }
  }

  const loader::PluginInstance* policy(const std::string& type) { return policies_.at(type).get(); }

  // A config whose default band uses `fairness` and `ordering`.
  std::shared_ptr<TestConfig> config(const std::string& fairness = "global-strict-fairness-policy",
                                     const std::string& ordering = "fcfs-ordering-policy") {
    auto c = std::make_shared<TestConfig>();
    for (auto& [type, p] : policies_) c->owners.push_back(p);
    c->config.enabled = true;
    c->config.defaultBand = bandOf(0, policy(fairness), policy(ordering));
    return c;
  }

  // Queues a request; true when queued.
  bool add(const std::string& id, const std::string& flow, int32_t priority, int64_t nowNs = 0,
           int64_t bytes = 100, std::vector<std::pair<std::string, std::string>> headers = {},
           std::string* refusal = nullptr) {
    auto r = std::make_unique<TestRequest>(id, flow, priority, nowNs, std::move(headers));
    std::unique_ptr<FlowRequest> request = std::make_unique<RecordingRequest>(id, log_);
    auto result = queues_.enqueue(request, r->info(bytes), nowNs);
    if (result.item == nullptr) {
      if (refusal != nullptr) *refusal = result.refusal;
      EXPECT_NE(request, nullptr) << "a refused request stays with the caller";
      return false;
    }
    ids_[id] = result.item->id();
    requests_.push_back(std::move(r));
    return true;
  }

  // Pops everything; the request ids in dispatch order.
  std::vector<std::string> drainOrder() {
    std::vector<std::string> order;
    while (auto item = queues_.popNext(0)) order.push_back(item->info.requestId);
    return order;
  }

  std::map<std::string, std::shared_ptr<loader::PluginInstance>> policies_;
  std::shared_ptr<std::vector<Outcome>> log_ = std::make_shared<std::vector<Outcome>>();
  std::vector<std::unique_ptr<TestRequest>> requests_;  // outlive the queues' views
  std::map<std::string, uint64_t> ids_;
  FlowQueues queues_;
};

TEST_F(FlowQueuesTest, HigherBandsDispatchFirst) {
  queues_.configure(share(config()));
  ASSERT_TRUE(add("p0-a", "t1", 0));
  ASSERT_TRUE(add("p10-a", "t1", 10));
  ASSERT_TRUE(add("pm1-a", "t1", -1));
  ASSERT_TRUE(add("p10-b", "t2", 10));
  ASSERT_TRUE(add("p0-b", "t2", 0));
  EXPECT_EQ(queues_.size(), 5u);
  EXPECT_EQ(queues_.bytes(), 500);
  EXPECT_EQ(drainOrder(), (std::vector<std::string>{"p10-a", "p10-b", "p0-a", "p0-b", "pm1-a"}));
  EXPECT_EQ(queues_.size(), 0u);
  EXPECT_EQ(queues_.bytes(), 0);
}

TEST_F(FlowQueuesTest, GlobalStrictServesArrivalOrderAcrossFlows) {
  queues_.configure(share(config("global-strict-fairness-policy")));
  for (const char* id : {"x1", "y1", "x2", "z1", "y2", "x3"}) {
    ASSERT_TRUE(add(id, std::string(1, id[0]), 0));
  }
  EXPECT_EQ(drainOrder(), (std::vector<std::string>{"x1", "y1", "x2", "z1", "y2", "x3"}));
}

TEST_F(FlowQueuesTest, RoundRobinTakesTurnsBetweenFlows) {
  queues_.configure(share(config("round-robin-fairness-policy")));
  // Tenant x floods first; y and z arrive later but get every other turn.
  for (const char* id : {"x1", "x2", "x3", "x4", "y1", "z1", "z2"}) {
    ASSERT_TRUE(add(id, std::string(1, id[0]), 0));
  }
  EXPECT_EQ(drainOrder(), (std::vector<std::string>{"x1", "y1", "z1", "x2", "z2", "x3", "x4"}));
  // Stats count dispatches per flow.
  auto stats = queues_.stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].fairness, "round-robin-fairness-policy");
  ASSERT_EQ(stats[0].flows.size(), 3u);
  EXPECT_EQ(stats[0].flows[0].fairnessId, "x");
  EXPECT_EQ(stats[0].flows[0].dispatched, 4u);
}

TEST_F(FlowQueuesTest, OrderingPolicyOrdersWithinAFlow) {
  queues_.configure(share(config("global-strict-fairness-policy", "lifo-ordering-policy")));
  for (const char* id : {"a1", "a2", "a3", "a4"}) ASSERT_TRUE(add(id, "a", 0));
  EXPECT_EQ(drainOrder(), (std::vector<std::string>{"a4", "a3", "a2", "a1"}));
}

TEST_F(FlowQueuesTest, SloDeadlineReadsTheHeaderThroughTheRequestView) {
  queues_.configure(share(config("global-strict-fairness-policy", "slo-deadline-ordering-policy")));
  const int64_t ms = 1'000'000;
  ASSERT_TRUE(add("relaxed", "a", 0, 0, 100, {{"x-slo-ttft-ms", "5000"}}));
  ASSERT_TRUE(add("none", "a", 0, 1 * ms));
  ASSERT_TRUE(add("tight", "a", 0, 2 * ms, 100, {{"x-slo-ttft-ms", "100"}}));
  ASSERT_TRUE(add("medium", "a", 0, 3 * ms, 100, {{"x-slo-ttft-ms", "1000"}}));
  EXPECT_EQ(drainOrder(), (std::vector<std::string>{"tight", "medium", "relaxed", "none"}));
}

TEST_F(FlowQueuesTest, BandLimitsRefuseAndRemovalFreesTheSlot) {
  auto c = config();
  c->config.bands.push_back(
      bandOf(10, policy("global-strict-fairness-policy"), policy("fcfs-ordering-policy")));
  c->config.bands.back().maxRequests = 2;
  c->config.defaultBand.maxBytes = 250;
  queues_.configure(share(c));
  std::string why;
  ASSERT_TRUE(add("h1", "a", 10));
  ASSERT_TRUE(add("h2", "b", 10));
  EXPECT_FALSE(add("h3", "a", 10, 0, 100, {}, &why));
  EXPECT_EQ(why, "band 10 holds 2 requests (maxRequests 2)");
  // Other bands are not affected by band 10's limit.
  ASSERT_TRUE(add("d1", "a", 0, 0, 200));
  EXPECT_FALSE(add("d2", "a", 0, 0, 100, {}, &why));
  EXPECT_EQ(why, "band 0 holds 200 bytes, 100 more exceed maxBytes 250");
  ASSERT_TRUE(add("d3", "a", 0, 0, 50));  // exactly at the limit

  // A cancelled request leaves at once and its slot is free for the next.
  auto removed = queues_.remove(ids_.at("h1"));
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->info.requestId, "h1");
  EXPECT_EQ(queues_.remove(ids_.at("h1")), nullptr);
  ASSERT_TRUE(add("h4", "a", 10));
  EXPECT_EQ(drainOrder(), (std::vector<std::string>{"h2", "h4", "d1", "d3"}));
}

TEST_F(FlowQueuesTest, GlobalLimitsSpanBands) {
  auto c = config();
  c->config.maxRequests = 3;
  c->config.maxBytes = 1000;
  queues_.configure(share(c));
  std::string why;
  ASSERT_TRUE(add("a", "t", 0));
  ASSERT_TRUE(add("b", "t", 5));
  ASSERT_TRUE(add("c", "t", -5));
  EXPECT_FALSE(add("d", "t", 7, 0, 100, {}, &why));
  EXPECT_EQ(why, "3 requests queued (flowControl.maxRequests 3)");
  (void)queues_.popNext(0);
  EXPECT_FALSE(add("e", "t", 7, 0, 801, {}, &why));
  EXPECT_EQ(why, "200 bytes queued, 801 more exceed flowControl.maxBytes 1000");
  EXPECT_TRUE(add("f", "t", 7, 0, 800));
}

TEST_F(FlowQueuesTest, RequestsExpireAtTheirTtlEarliestFirst) {
  auto c = config("global-strict-fairness-policy", "edf-ordering-policy");
  c->config.defaultTtlNs = 100;
  queues_.configure(share(c));
  ASSERT_TRUE(add("a", "t", 0, 1000));
  ASSERT_TRUE(add("b", "u", 0, 1050));
  ASSERT_TRUE(add("c", "t", 5, 1060));
  EXPECT_EQ(queues_.nextDeadlineNs(), 1100);
  EXPECT_TRUE(queues_.expire(1099).empty());
  auto first = queues_.expire(1100);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]->info.requestId, "a");
  EXPECT_EQ(first[0]->queued.deadline_ns, 1100);
  EXPECT_EQ(queues_.nextDeadlineNs(), 1150);
  // A dispatched request leaves the deadline index too.
  auto popped = queues_.popNext(1100);
  EXPECT_EQ(popped->info.requestId, "c");
  auto rest = queues_.expire(5000);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0]->info.requestId, "b");
  EXPECT_EQ(queues_.nextDeadlineNs(), INT64_MAX);
  EXPECT_EQ(queues_.size(), 0u);
}

TEST_F(FlowQueuesTest, NoTtlMeansNoDeadline) {
  queues_.configure(share(config()));
  ASSERT_TRUE(add("a", "t", 0, 1000));
  EXPECT_EQ(queues_.nextDeadlineNs(), INT64_MAX);
  EXPECT_TRUE(queues_.expire(INT64_MAX - 1).empty());
}

TEST_F(FlowQueuesTest, RemovingFromTheMiddleOfAHeapKeepsItsOrder) {
  queues_.configure(share(config("global-strict-fairness-policy", "lifo-ordering-policy")));
  for (int i = 1; i <= 9; ++i) ASSERT_TRUE(add("r" + std::to_string(i), "a", 0));
  for (const char* id : {"r5", "r9", "r1", "r6"}) ASSERT_NE(queues_.remove(ids_.at(id)), nullptr);
  EXPECT_EQ(drainOrder(), (std::vector<std::string>{"r8", "r7", "r4", "r3", "r2"}));
}

TEST_F(FlowQueuesTest, ReloadReordersQueuedRequestsUnderTheNewPolicy) {
  queues_.configure(share(config("global-strict-fairness-policy", "fcfs-ordering-policy")));
  for (const char* id : {"a1", "a2", "a3"}) ASSERT_TRUE(add(id, "a", 0));
  for (const char* id : {"b1", "b2"}) ASSERT_TRUE(add(id, "b", 0));
  // The reload switches the band to LIFO within flows and round-robin between them.
  queues_.configure(share(config("round-robin-fairness-policy", "lifo-ordering-policy")));
  EXPECT_EQ(queues_.size(), 5u);
  EXPECT_EQ(drainOrder(), (std::vector<std::string>{"a3", "b2", "a2", "b1", "a1"}));
  auto stats = queues_.stats();
  EXPECT_EQ(stats[0].ordering, "lifo-ordering-policy");
}

TEST_F(FlowQueuesTest, DrainTakesEverythingInArrivalOrder) {
  queues_.configure(share(config()));
  ASSERT_TRUE(add("a", "t", 0));
  ASSERT_TRUE(add("b", "t", 9));
  ASSERT_TRUE(add("c", "u", -1));
  auto all = queues_.drain();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->info.requestId, "a");
  EXPECT_EQ(all[2]->info.requestId, "c");
  EXPECT_EQ(queues_.size(), 0u);
  EXPECT_EQ(queues_.bytes(), 0);
}

TEST_F(FlowQueuesTest, IdleFlowsAreForgotten) {
  queues_.configure(share(config()));
  ASSERT_TRUE(add("a", "t", 0, 100));
  ASSERT_TRUE(add("b", "u", 0, 100));
  (void)queues_.popNext(200);  // t's flow is empty from 200
  queues_.collectIdleFlows(250, 100);
  EXPECT_EQ(queues_.stats()[0].flows.size(), 2u);
  queues_.collectIdleFlows(300, 100);
  auto flows = queues_.stats()[0].flows;
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].fairnessId, "u");  // still has a request
}

}  // namespace
}  // namespace epp::flowcontrol

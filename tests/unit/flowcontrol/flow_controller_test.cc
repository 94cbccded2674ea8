// FlowController with the real concurrency-detector (maxConcurrency 1 over one endpoint):
// requests hold while the pool is saturated and dispatch one per freed slot in band /
// fairness / ordering order; TTL expiry, cancellation, capacity rejection and shutdown
// answer with their outcomes. Manual mode on a virtual clock makes every step exact; one
// test runs the threaded dispatcher.
#include "host/flowcontrol/flow_controller.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "host/common/clock.h"
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

std::atomic<int64_t> gNow{1'000'000'000};
int64_t virtualNow() { return gNow.load(); }

class FlowControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fcfs_ = instance("fcfs-ordering-policy");
    strict_ = instance("global-strict-fairness-policy");
    roundRobin_ = instance("round-robin-fairness-policy");
    detector_ = instance("concurrency-detector", "{maxConcurrency: 1}");
    ASSERT_TRUE(fcfs_ && strict_ && roundRobin_ && detector_);
    std::vector<datalayer::EndpointState> states(1);
    states[0].address = "10.0.0.1";
    states[0].port = 8000;
    store_.replace(states);
    config_ = std::make_shared<TestConfig>();
    config_->owners = {fcfs_, strict_, roundRobin_, detector_};
    config_->config.enabled = true;
    config_->config.detector = detector_.get();
    config_->config.defaultBand = bandOf(0, strict_.get(), fcfs_.get());
  }
  void TearDown() override {
    controller_.reset();
    common::setMonotonicClockHook(nullptr);
  }

  void start(bool threaded = false) {
    if (!threaded) common::setMonotonicClockHook(&virtualNow);
    FlowController::Options o;
    o.config = [this] { return share(config_); };
    o.endpoints = &store_;
    o.threaded = threaded;
    o.recheckNs = 5'000'000;
    controller_ = std::make_unique<FlowController>(std::move(o));
  }

  // A request that takes the endpoint's slot when dispatched (as the Observer does).
  TestRequest& submit(const std::string& id, const std::string& flow, int32_t priority,
                      int64_t bytes = 100) {
    requests_.push_back(std::make_unique<TestRequest>(id, flow, priority));
    auto r = std::make_unique<RecordingRequest>(id, log_);
    r->onDispatch = [this] {
      store_.current()->addInflight(0, 1);
      dispatchCount_.fetch_add(1);  // after the log entry: a reader that sees it sees that
    };
    controller_->enqueue(std::move(r), requests_.back()->info(bytes), share(config_));
    return *requests_.back();
  }
  // The running request finishes: its slot frees and flow control is told.
  void complete() {
    store_.current()->addInflight(0, -1);
    controller_->wake();
  }
  std::vector<std::string> dispatched() const {
    std::vector<std::string> out;
    for (const auto& o : *log_) {
      if (o.dispatched) out.push_back(o.id);
    }
    return out;
  }
  const Outcome* outcome(const std::string& id) const {
    for (const auto& o : *log_) {
      if (o.id == id) return &o;
    }
    return nullptr;
  }

  std::shared_ptr<loader::PluginInstance> fcfs_, strict_, roundRobin_, detector_;
  std::shared_ptr<TestConfig> config_;
  datalayer::EndpointStore store_;
  std::shared_ptr<std::vector<Outcome>> log_ = std::make_shared<std::vector<Outcome>>();
  std::vector<std::unique_ptr<TestRequest>> requests_;
  std::atomic<size_t> dispatchCount_{0};
  std::unique_ptr<FlowController> controller_;
};

TEST_F(FlowControllerTest, HoldsWhileSaturatedAndDispatchesPerFreedSlotInOrder) {
  config_->config.bands.push_back(bandOf(10, roundRobin_.get(), fcfs_.get()));
  start();
  submit("first", "a", 0);
  EXPECT_EQ(controller_->pump(), INT64_MAX);  // unsaturated: dispatched at once
  EXPECT_EQ(dispatched(), std::vector<std::string>{"first"});

  // The slot is taken: everything else waits.
  submit("low-a", "a", 0);
  submit("high-x1", "x", 10);
  submit("high-x2", "x", 10);
  submit("high-y1", "y", 10);
  submit("sheddable", "a", -1);
  submit("low-b", "b", 0);
  int64_t due = controller_->pump();
  EXPECT_EQ(due, gNow.load() + 5'000'000);  // held: look again after recheckNs
  EXPECT_EQ(controller_->queued(), 6u);
  EXPECT_EQ(dispatched().size(), 1u);

  for (int i = 0; i < 6; ++i) {
    complete();
    controller_->pump();
  }
  EXPECT_EQ(dispatched(), (std::vector<std::string>{"first", "high-x1", "high-y1", "high-x2",
                                                    "low-a", "low-b", "sheddable"}));
  EXPECT_EQ(controller_->queued(), 0u);
  const Outcome* x2 = outcome("high-x2");
  ASSERT_NE(x2, nullptr);
  EXPECT_EQ(x2->exit.outcome, QueueOutcome::kDispatched);
  EXPECT_EQ(x2->exit.bandPriority, 10);
}

TEST_F(FlowControllerTest, LowerBandStopsAtItsSaturationCeilingAndHigherBandUsesTheRest) {
  // Four slots; the default band dispatches only below half of them, band 10 up to all.
  std::shared_ptr<loader::PluginInstance> four =
      instance("concurrency-detector", "{maxConcurrency: 4}");
  ASSERT_TRUE(four);
  config_->owners.push_back(four);
  config_->config.detector = four.get();
  config_->config.defaultBand.saturationCeiling = 0.5;
  config_->config.bands.push_back(bandOf(10, strict_.get(), fcfs_.get()));
  start();
  submit("low-1", "a", 0);
  submit("low-2", "a", 0);
  submit("low-3", "a", 0);
  controller_->pump();
  EXPECT_EQ(dispatched(), (std::vector<std::string>{"low-1", "low-2"}));  // 0.5: held

  submit("high-1", "x", 10);
  submit("high-2", "x", 10);
  submit("high-3", "x", 10);
  controller_->pump();
  EXPECT_EQ(dispatched().size(), 4u);  // the reserve: two more, then saturated
  EXPECT_EQ(dispatched().back(), "high-2");

  complete();  // 3 of 4: the high band's turn, not the low one's
  controller_->pump();
  EXPECT_EQ(dispatched().back(), "high-3");
  complete();
  complete();  // 2 of 4: still at the low band's ceiling
  controller_->pump();
  EXPECT_EQ(dispatched().size(), 5u);
  complete();  // 1 of 4: below it
  controller_->pump();
  EXPECT_EQ(dispatched().back(), "low-3");
  EXPECT_EQ(controller_->queued(), 0u);
}

TEST_F(FlowControllerTest, TtlExpiresWithServiceUnavailableOutcome) {
  config_->config.defaultTtlNs = 20'000'000;
  start();
  submit("runs", "a", 0);
  controller_->pump();
  submit("waits", "a", 0);
  gNow += 1'000'000;
  submit("later", "a", 0);
  EXPECT_EQ(controller_->pump(), gNow.load() + 5'000'000);  // recheck before the first TTL
  gNow += 18'999'999;                                       // 19.999999 ms after "waits" was queued
  controller_->pump();
  EXPECT_EQ(outcome("waits"), nullptr);
  gNow += 1;
  EXPECT_EQ(controller_->pump(), gNow.load() + 1'000'000);  // the next deadline is nearer
  const Outcome* waits = outcome("waits");
  ASSERT_NE(waits, nullptr);
  EXPECT_FALSE(waits->dispatched);
  EXPECT_EQ(waits->exit.outcome, QueueOutcome::kEvictedTtl);
  EXPECT_EQ(waits->exit.waitNs, 20'000'000);
  EXPECT_EQ(waits->exit.detail, "waited 20 ms, the TTL");
  EXPECT_EQ(queueError(waits->exit.outcome).status, 503);
  EXPECT_EQ(controller_->queued(), 1u);
}

TEST_F(FlowControllerTest, CancelledRequestLeavesAtOnceAndTheNextDispatches) {
  start();
  submit("runs", "a", 0);
  controller_->pump();
  TestRequest& gone = submit("gone", "a", 0);
  submit("next", "a", 0);
  controller_->pump();
  EXPECT_EQ(controller_->queued(), 2u);
  gone.cancel->cancel();  // the transport's cancel: the hook queues the id
  controller_->pump();
  const Outcome* o = outcome("gone");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->exit.outcome, QueueOutcome::kEvictedCancelled);
  EXPECT_EQ(controller_->queued(), 1u);
  complete();
  controller_->pump();
  EXPECT_EQ(dispatched(), (std::vector<std::string>{"runs", "next"}));
}

TEST_F(FlowControllerTest, OverCapacityIsRejectedAtOnce) {
  config_->config.defaultBand.maxRequests = 2;
  start();
  submit("runs", "a", 0);
  controller_->pump();
  submit("q1", "a", 0);
  submit("q2", "b", 0);
  submit("over", "c", 0);  // answered inside enqueue
  const Outcome* over = outcome("over");
  ASSERT_NE(over, nullptr);
  EXPECT_EQ(over->exit.outcome, QueueOutcome::kRejectedCapacity);
  EXPECT_EQ(over->exit.detail, "band 0 holds 2 requests (maxRequests 2)");
  QueueError e = queueError(over->exit.outcome);
  EXPECT_EQ(e.status, 429);
  EXPECT_STREQ(e.code, "ResourceExhausted");
}

TEST_F(FlowControllerTest, AlreadyCancelledIsNotQueued) {
  start();
  submit("runs", "a", 0);
  controller_->pump();
  requests_.push_back(std::make_unique<TestRequest>("late", "a", 0));
  requests_.back()->cancel->cancel();
  controller_->enqueue(std::make_unique<RecordingRequest>("late", log_), requests_.back()->info(),
                       share(config_));
  const Outcome* o = outcome("late");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->exit.outcome, QueueOutcome::kEvictedCancelled);
  EXPECT_EQ(controller_->queued(), 0u);
}

TEST_F(FlowControllerTest, TurningTheGateOffReleasesTheQueue) {
  start();
  submit("runs", "a", 0);
  controller_->pump();
  submit("q1", "a", 0);
  submit("q2", "a", 0);
  controller_->pump();
  auto off = std::make_shared<TestConfig>(*config_);
  off->config.enabled = false;
  config_ = off;
  controller_->wake();
  controller_->pump();
  EXPECT_EQ(dispatched(), (std::vector<std::string>{"runs", "q1", "q2"}));
}

TEST_F(FlowControllerTest, ShutdownAnswersEverythingQueued) {
  start();
  submit("runs", "a", 0);
  controller_->pump();
  submit("q1", "a", 0);
  controller_->shutdown();
  const Outcome* o = outcome("q1");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->exit.outcome, QueueOutcome::kEvictedOther);
  EXPECT_EQ(queueError(o->exit.outcome).status, 503);
  submit("after", "a", 0);
  EXPECT_EQ(outcome("after")->exit.outcome, QueueOutcome::kEvictedOther);
}

TEST_F(FlowControllerTest, ThreadedDispatcherWakesOnCompletion) {
  start(/*threaded=*/true);
  submit("runs", "a", 0);
  // The log is appended on the dispatcher thread: read it only once the count says the
  // entry is there and no other dispatch can run (the pool is saturated).
  auto waitFor = [&](size_t n) {
    for (int i = 0; i < 1000 && dispatchCount_.load() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return dispatchCount_.load();
  };
  EXPECT_EQ(waitFor(1), 1u);
  submit("next", "a", 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(dispatchCount_.load(), 1u);  // still saturated
  complete();
  EXPECT_EQ(waitFor(2), 2u);
  EXPECT_EQ(dispatched().back(), "next");
}

}  // namespace
}  // namespace epp::flowcontrol

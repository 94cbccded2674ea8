// Flow control through the real eppd binary, in front of an eppd-sim server: the
// concurrency-detector with maxConcurrency 1 makes the pool saturated exactly while one
// routed request is open, so a burst queues and each finished request lets exactly one
// more through. Streams are held open like Envoy holds them while the upstream answers;
// finishing one is what frees the slot. Checked: dispatch order (band, then fairness, then
// ordering), 429 over a band's maxRequests, 503 at the TTL, a cancelled queued request
// freeing its slot at once, and what /decisions, /flowcontrol and /metrics show.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/sim_process.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// Band 10: round-robin between tenants; band 0: LIFO within a tenant, at most 3 queued;
// other priorities (the sheddable -1) take the default band.
std::string config(int simPort, const std::string& extraFlowControl = "") {
  return R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
featureGates: [flowControl]
plugins:
- type: queue-scorer
- type: max-score-picker
- type: concurrency-detector
  parameters: {maxConcurrency: 1}
- type: round-robin-fairness-policy
- type: lifo-ordering-policy
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: queue-scorer}
  - {pluginRef: max-score-picker}
saturationDetector: {pluginRef: concurrency-detector}
flowControl:
)" + extraFlowControl +
         R"(  priorityBands:
  - {priority: 10, fairnessPolicyRef: round-robin-fairness-policy}
  - {priority: 0, orderingPolicyRef: lifo-ordering-policy, maxRequests: 3}
objectives:
- {name: critical, priority: 10}
- {name: batch, priority: -1}
scraping: {interval: 20ms}
endpoints:
- {address: 127.0.0.1, port: )" +
         std::to_string(simPort) + "}\n";
}

// The order in which held requests got their answer.
struct AnswerLog {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> order;
};

// One request whose ext_proc stream stays open after routing, as while the upstream
// answers; a reader thread waits for eppd's first reply (routing headers or an
// ImmediateResponse).
class HeldRequest {
 public:
  HeldRequest(EnvoyClient& client, AnswerLog& log, std::string id, HeaderList headers)
      : log_(log), id_(std::move(id)), stream_(client.open(std::chrono::seconds(60))) {
    RequestSpec spec;
    spec.body = json({{"model", "sim-model"},
                      {"messages", {{{"role", "user"}, {"content", "hello from " + id_}}}}})
                    .dump();
    spec.headers = {{"x-request-id", id_}};
    for (auto& h : headers) spec.headers.push_back(std::move(h));
    sent_ = Clock::now();
    stream_->send(EnvoyClient::requestHeadersMessage(spec));
    stream_->send(EnvoyClient::requestBodyMessage(spec.body, true));
    reader_ = std::thread([this] {
      envoy::service::ext_proc::v3::ProcessingResponse reply;
      bool got = stream_->read(reply);
      {
        std::lock_guard<std::mutex> lock(log_.mutex);
        answered_ = true;
        waited_ = Clock::now() - sent_;
        if (got && reply.has_request_headers()) {
          routed_ = true;
        } else if (got && reply.has_immediate_response()) {
          status_ = static_cast<int>(reply.immediate_response().status().code());
          body_ = reply.immediate_response().body();
        }
        log_.order.push_back(id_);
      }
      log_.changed.notify_all();
    });
  }
  ~HeldRequest() {
    if (!finished_) cancel();
  }

  bool waitAnswered(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(log_.mutex);
    return log_.changed.wait_for(lock, timeout, [&] { return answered_; });
  }
  bool routed() {
    std::lock_guard<std::mutex> lock(log_.mutex);
    return routed_;
  }
  int status() {
    std::lock_guard<std::mutex> lock(log_.mutex);
    return status_;
  }
  std::string body() {
    std::lock_guard<std::mutex> lock(log_.mutex);
    return body_;
  }
  Clock::duration waited() {
    std::lock_guard<std::mutex> lock(log_.mutex);
    return waited_;
  }
  // The upstream answered: the gateway ends the stream; eppd frees the slot.
  void finish() {
    reader_.join();
    stream_->writesDone();
    envoy::service::ext_proc::v3::ProcessingResponse reply;
    while (stream_->read(reply)) {
    }
    stream_->finish();
    finished_ = true;
  }
  // The client went away before an answer.
  void cancel() {
    stream_->cancel();
    reader_.join();
    stream_->finish();
    finished_ = true;
  }

 private:
  AnswerLog& log_;
  std::string id_;
  std::unique_ptr<EnvoyStream> stream_;
  std::thread reader_;
  Clock::time_point sent_;
  bool answered_ = false;
  bool routed_ = false;
  int status_ = 0;
  std::string body_;
  Clock::duration waited_{};
  bool finished_ = false;
};

class EppdFlowControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-flowcontrol-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    sim_ = std::make_unique<SimProcess>(dir_, 1);
    ASSERT_EQ(sim_->ports().size(), 1u);
  }
  void TearDown() override {
    held_.clear();
    eppd_.reset();
    sim_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void start(const std::string& extraFlowControl = "") {
    eppd_ = std::make_unique<EppdProcess>(config(sim_->ports()[0], extraFlowControl));
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }

  HeldRequest& send(const std::string& id, const std::string& objective = "",
                    const std::string& tenant = "") {
    HeaderList headers;
    if (!objective.empty()) headers.push_back({"x-gateway-inference-objective", objective});
    if (!tenant.empty()) headers.push_back({"x-gateway-inference-fairness-id", tenant});
    held_.push_back(std::make_unique<HeldRequest>(*client_, log_, id, std::move(headers)));
    ids_.push_back(id);
    return *held_.back();
  }
  // Sends a request that must queue: returns once /flowcontrol counts it.
  HeldRequest& queue(const std::string& id, const std::string& objective = "",
                     const std::string& tenant = "") {
    size_t before = queued();
    HeldRequest& r = send(id, objective, tenant);
    EXPECT_TRUE(waitQueued(before + 1)) << id << " did not queue";
    return r;
  }
  json flowControl() {
    return json::parse(httpRequest(eppd_->adminPort(), "GET", "/flowcontrol").body);
  }
  size_t queued() { return flowControl()["queued"].get<size_t>(); }
  bool waitQueued(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (queued() == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return queued() == n;
  }
  size_t answers() {
    std::lock_guard<std::mutex> lock(log_.mutex);
    return log_.order.size();
  }
  // Waits until `n` requests have their answer; the last one's id.
  std::string waitAnswers(size_t n) {
    std::unique_lock<std::mutex> lock(log_.mutex);
    log_.changed.wait_for(lock, std::chrono::seconds(10), [&] { return log_.order.size() >= n; });
    return log_.order.size() >= n ? log_.order[n - 1] : "(none)";
  }
  HeldRequest& byId(const std::string& id) {
    for (size_t i = 0; i < ids_.size(); ++i) {
      if (ids_[i] == id) return *held_[i];
    }
    throw std::runtime_error("no request " + id);
  }
  json decision(const std::string& requestId) {
    auto doc = json::parse(httpRequest(eppd_->adminPort(), "GET", "/decisions?n=100").body);
    for (const auto& d : doc["decisions"]) {
      if (d["requestId"] == requestId) return d;
    }
    return nullptr;
  }

  fs::path dir_;
  std::unique_ptr<SimProcess> sim_;
  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
  AnswerLog log_;
  std::vector<std::unique_ptr<HeldRequest>> held_;
  std::vector<std::string> ids_;
};

TEST_F(EppdFlowControlTest, BurstQueuesAndDispatchesByBandThenFairnessThenOrdering) {
  start();
  HeldRequest& first = send("first");
  ASSERT_TRUE(first.waitAnswered());
  ASSERT_TRUE(first.routed());

  // The pool is saturated: the burst queues, in this arrival order.
  struct Queued {
    const char* id;
    const char* objective;
    const char* tenant;
  };
  const std::vector<Queued> burst = {
      {"std-a1", "", "a"},          {"std-a2", "", "a"},          {"crit-x1", "critical", "x"},
      {"crit-x2", "critical", "x"}, {"crit-y1", "critical", "y"}, {"batch-1", "batch", "a"},
      {"crit-x3", "critical", "x"},
  };
  for (const auto& q : burst) queue(q.id, q.objective, q.tenant);
  EXPECT_EQ(answers(), 1u);  // nothing else got through
  json fc = flowControl();
  EXPECT_EQ(fc["enabled"], true);
  EXPECT_EQ(fc["saturationDetector"], "concurrency-detector");
  ASSERT_EQ(fc["bands"].size(), 3u);
  EXPECT_EQ(fc["bands"][0]["priority"], 10);
  EXPECT_EQ(fc["bands"][0]["queued"], 4);
  EXPECT_EQ(fc["bands"][0]["fairnessPolicy"], "round-robin-fairness-policy");
  EXPECT_EQ(fc["bands"][1]["orderingPolicy"], "lifo-ordering-policy");
  EXPECT_EQ(fc["bands"][2]["priority"], -1);
  EXPECT_EQ(fc["bands"][2]["orderingPolicy"], "fcfs-ordering-policy");

  // Each finished request lets exactly one more through.
  std::vector<std::string> order;
  HeldRequest* running = &first;
  for (size_t i = 0; i < burst.size(); ++i) {
    running->finish();
    std::string next = waitAnswers(i + 2);
    order.push_back(next);
    running = &byId(next);
    ASSERT_TRUE(running->routed()) << next << ": " << running->body();
  }
  running->finish();
  // Band 10 first, its tenants taking turns (x, y, x, x); then band 0 newest first (LIFO);
  // the sheddable band last.
  EXPECT_EQ(order, (std::vector<std::string>{"crit-x1", "crit-y1", "crit-x2", "crit-x3", "std-a2",
                                             "std-a1", "batch-1"}));
  EXPECT_TRUE(waitQueued(0));

  // /decisions shows how long each waited and where.
  json d = decision("batch-1");
  ASSERT_FALSE(d.is_null());
  EXPECT_EQ(d["routed"], true);
  EXPECT_EQ(d["queue"]["outcome"], "Dispatched");
  EXPECT_EQ(d["queue"]["band"], -1);
  EXPECT_EQ(d["queue"]["fairnessId"], "a");
  EXPECT_GT(d["queue"]["waitMs"].get<double>(), 0);
  EXPECT_FALSE(decision("first")["queue"]["waitMs"].is_null());

  // The reference's metric names.
  EXPECT_DOUBLE_EQ(
      eppd_->metric(R"(inference_extension_flow_control_request_queue_duration_seconds_count{)"
                    R"(fairness_id="x",inference_pool="default",model_name="sim-model",)"
                    R"(outcome="Dispatched",priority="10",target_model_name="sim-model"})"),
      3);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_extension_flow_control_queue_size{)"
                                 R"(fairness_id="x",inference_pool="default",)"
                                 R"(model_name="sim-model",priority="10",)"
                                 R"(target_model_name="sim-model"})"),
                   0);
  EXPECT_GE(
      eppd_->metric(R"(inference_extension_flow_control_dispatch_cycle_duration_seconds_count)"),
      8);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_extension_flow_control_pool_saturation{)"
                                 R"(inference_pool="default"})"),
                   0);
  EXPECT_THAT(eppd_->log(), HasSubstr("admission: flow control:"));
}

TEST_F(EppdFlowControlTest, OverTheBandLimitIs429AndACancelledRequestFreesItsSlot) {
  start();
  HeldRequest& first = send("first");
  ASSERT_TRUE(first.waitAnswered());
  for (const char* id : {"q1", "q2", "q3"}) queue(id);  // band 0 holds 3

  HeldRequest& over = send("over");
  ASSERT_TRUE(over.waitAnswered());
  EXPECT_FALSE(over.routed());
  EXPECT_EQ(over.status(), 429);
  EXPECT_EQ(over.body(),
            "inference error: ResourceExhausted - request rejected by flow control: queue at "
            "capacity");
  json d = decision("over");
  EXPECT_EQ(d["status"], 429);
  EXPECT_EQ(d["queue"]["outcome"], "RejectedCapacity");
  EXPECT_EQ(d["queue"]["detail"], "band 0 holds 3 requests (maxRequests 3)");
  // Another band still takes requests.
  queue("crit-1", "critical");

  // q2's client goes away: its slot frees at once, without waiting for any sweep.
  byId("q2").cancel();
  EXPECT_TRUE(waitQueued(3, std::chrono::seconds(2)));
  EXPECT_EQ(eppd_->awaitMetric(R"(eppd_admission_rejections_total{reason="cancelled"})", 1), 1);
  // The band-0 flow's gauge drops to the two left; the wait is counted with its outcome.
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_extension_flow_control_queue_size{)"
                                 R"(fairness_id="default-flow",inference_pool="default",)"
                                 R"(model_name="sim-model",priority="0",)"
                                 R"(target_model_name="sim-model"})"),
                   2);
  EXPECT_DOUBLE_EQ(
      eppd_->metric(R"(inference_extension_flow_control_request_queue_duration_seconds_count{)"
                    R"(fairness_id="default-flow",inference_pool="default",model_name="sim-model",)"
                    R"(outcome="EvictedContextCancelled",priority="0",)"
                    R"(target_model_name="sim-model"})"),
      1);
  json cancelled = decision("q2");
  EXPECT_EQ(cancelled["status"], 503);
  EXPECT_EQ(cancelled["queue"]["outcome"], "EvictedContextCancelled");
  queue("q4");  // fits again

  // The queue drains in order, skipping the cancelled request.
  std::vector<std::string> order;
  HeldRequest* running = &first;
  for (int i = 0; i < 4; ++i) {
    running->finish();
    std::string next = waitAnswers(static_cast<size_t>(order.size()) + 4);
    order.push_back(next);
    running = &byId(next);
    ASSERT_TRUE(running->routed()) << next;
  }
  running->finish();
  EXPECT_EQ(order, (std::vector<std::string>{"crit-1", "q4", "q3", "q1"}));
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_admission_rejections_total{reason="capacity"})"), 1);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_objective_request_error_total{error_code=)"
                                 R"("ResourceExhausted",model_name="sim-model",)"
                                 R"(target_model_name="sim-model"})"),
                   1);
}

TEST_F(EppdFlowControlTest, RequestQueuedPastItsTtlGets503) {
  start("  defaultRequestTTL: 300ms\n");
  HeldRequest& first = send("first");
  ASSERT_TRUE(first.waitAnswered());
  HeldRequest& late = queue("late");
  ASSERT_TRUE(late.waitAnswered(std::chrono::seconds(5)));
  EXPECT_FALSE(late.routed());
  EXPECT_EQ(late.status(), 503);
  EXPECT_EQ(late.body(), "inference error: ServiceUnavailable - request timed out in queue");
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(late.waited()).count();
  EXPECT_GE(waited, 290);
  EXPECT_LT(waited, 1500);
  json d = decision("late");
  EXPECT_EQ(d["queue"]["outcome"], "EvictedTTL");
  EXPECT_GE(d["queue"]["waitMs"].get<double>(), 300);
  EXPECT_EQ(eppd_->awaitMetric(R"(eppd_admission_rejections_total{reason="ttl"})", 1), 1);
  EXPECT_THAT(eppd_->log(), HasSubstr("503 ServiceUnavailable - request timed out in queue"));
  // The running request was never affected.
  first.finish();
  EXPECT_TRUE(waitQueued(0));
}

}  // namespace
}  // namespace epp::testing

// The catalogue plugins of issue 7 (load-aware, active-request, token-load,
// session-affinity and no-hit-lru scorers; label-selector and prefix-cache-affinity filters)
// on the real request path: config text -> snapshot of the real built-in libraries ->
// Pipeline::decide, with each decision's response path driven through its observer as the
// transport drives it. What is checked is routing that only the plugin's behaviour explains.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "host/common/clock.h"
#include "host/runtime/config_snapshot.h"
#include "host/runtime/pipeline.h"

namespace epp::runtime {
namespace {

using extproc::RequestInput;
using extproc::RoutingDecision;

constexpr char kHeader[] = R"(
apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
)";

constexpr char kEndpoints[] = R"(
endpoints:
- {address: 10.0.0.1, port: 8000, name: pod-a, labels: {gpu: H100}}
- {address: 10.0.0.2, port: 8000, name: pod-b, labels: {gpu: A100}}
- {address: 10.0.0.3, port: 8000, name: pod-c, labels: {gpu: H100}}
)";

class PipelinePluginsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new loader::PluginRegistry(
        {.cache_dir = std::filesystem::temp_directory_path() / "eppd-pipeline-plugins-test",
         .host_abi = {}});
    ASSERT_TRUE(registry_->scan({EPP_BUILTIN_PLUGIN_DIR})) << registry_->errors().front().message;
  }

  void load(const std::string& body) {
    const std::string yaml = std::string(kHeader) + body + kEndpoints;
    auto parsed = config::parseConfig(yaml, "test.yaml");
    ASSERT_TRUE(parsed) << parsed.error();
    auto resolved = config::resolveConfig(*parsed, kindLookup(*registry_));
    ASSERT_TRUE(resolved) << resolved.error();
    auto snap = buildSnapshot(std::move(*parsed), *registry_, 1);
    ASSERT_TRUE(snap) << snap.error();
    snapshot_ = *snap;
    std::vector<datalayer::EndpointState> states;
    for (const auto& e : snapshot_->config.endpoints) {
      datalayer::EndpointState s;
      s.address = e.address;
      s.port = e.port;
      s.name = e.name;
      s.labels = e.labels;
      s.hasMetrics = true;
      s.metricsUpdatedNs = common::monotonicNowNs();
      states.push_back(s);
    }
    store_.replace(states);
    pipeline_ = std::make_unique<Pipeline>([this] { return snapshot_; }, store_, log_);
  }

  void setWaiting(const std::string& hostPort, int64_t waiting) {
    store_.update([&](std::vector<datalayer::EndpointState>& states) {
      for (auto& s : states) {
        if (s.hostPort() == hostPort) s.waiting = waiting;
      }
      return true;
    });
  }

  RoutingDecision decide(const std::string& prompt, extproc::HeaderList extra = {}) {
    auto in = std::make_shared<RequestInput>();
    in->requestId = "req-" + std::to_string(++counter_);
    in->headers = {{":path", "/v1/completions"}, {":method", "POST"}};
    for (auto& h : extra) in->headers.push_back(h);
    in->body = R"({"model":"m","prompt":")" + prompt + R"("})";
    in->receivedNs = common::monotonicNowNs();
    RoutingDecision d = pipeline_->decide(in);
    EXPECT_EQ(d.httpStatus, 0) << d.errorMessage;
    return d;
  }

  // The response path of a routed request, as the transport feeds it; returns the headers
  // eppd adds to the client's response.
  static extproc::HeaderList respond(RoutingDecision& d) {
    extproc::HeaderList set;
    if (d.observer == nullptr) return set;
    d.observer->onResponseHeaders({{":status", "200"}, {"content-type", "application/json"}}, set);
    std::string body = R"({"usage":{"prompt_tokens":1,"completion_tokens":1}})";
    d.observer->onResponseBody(body, true);
    d.observer->onComplete(true);
    d.observer.reset();
    return set;
  }

  static inline loader::PluginRegistry* registry_ = nullptr;
  ConfigSnapshotPtr snapshot_;
  datalayer::EndpointStore store_;
  DecisionLog log_{64};
  std::unique_ptr<Pipeline> pipeline_;
  int counter_ = 0;
};

TEST_F(PipelinePluginsTest, ActiveRequestScorerSpreadsABurstTheSnapshotCannotSee) {
  load(R"(
plugins:
- type: active-request-scorer
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: active-request-scorer}
)");
  // Equal metrics, no scrape between the requests: only the scorer's own count separates
  // the endpoints, so three requests in flight land on three endpoints.
  for (int wave = 0; wave < 3; ++wave) {
    std::vector<RoutingDecision> burst;
    std::set<std::string> used;
    for (int i = 0; i < 3; ++i) {
      burst.push_back(decide("hello"));
      used.insert(burst.back().destination);
    }
    EXPECT_EQ(used.size(), 3u) << "wave " << wave;
    for (auto& d : burst) respond(d);  // completions free the endpoints for the next wave
  }
}

TEST_F(PipelinePluginsTest, LoadAwareScorerAvoidsTheQueue) {
  load(R"(
plugins:
- type: load-aware-scorer
  parameters: {threshold: 10}
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: load-aware-scorer}
)");
  setWaiting("10.0.0.1:8000", 4);
  setWaiting("10.0.0.2:8000", 12);
  setWaiting("10.0.0.3:8000", 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(decide("x").destination, "10.0.0.3:8000");
  auto records = log_.last(1);
  ASSERT_EQ(records.size(), 1u);
  const auto& trace = records[0].profiles.at(0);
  ASSERT_EQ(trace.scorers.size(), 1u);
  std::map<std::string, double> raw;
  for (size_t i = 0; i < trace.candidates.size(); ++i)
    raw[trace.candidates[i]] = trace.scorers[0].raw[i];
  EXPECT_DOUBLE_EQ(raw["10.0.0.1:8000"], 0.3);
  EXPECT_DOUBLE_EQ(raw["10.0.0.2:8000"], 0.0);
  EXPECT_DOUBLE_EQ(raw["10.0.0.3:8000"], 0.45);
}

TEST_F(PipelinePluginsTest, TokenLoadScorerWeighsPromptsNotRequests) {
  load(R"(
plugins:
- type: token-load-scorer
  parameters: {queueThresholdTokens: 100000}
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: token-load-scorer}
)");
  RoutingDecision big = decide(std::string(40000, 'b'));  // 10,000 tokens in flight
  RoutingDecision small = decide("short");
  EXPECT_NE(small.destination, big.destination);
  RoutingDecision third = decide(std::string(400, 't'));
  EXPECT_NE(third.destination, big.destination);
  EXPECT_NE(third.destination, small.destination);
  // Two small requests weigh less than the big one: the next goes beside them.
  RoutingDecision fourth = decide(std::string(400, 'f'));
  EXPECT_NE(fourth.destination, big.destination);
  respond(big);
  // The big prompt completed: its endpoint is the idle one now.
  EXPECT_EQ(decide("after").destination, big.destination);
}

TEST_F(PipelinePluginsTest, SessionAffinityKeepsASessionOnItsEndpoint) {
  load(R"(
plugins:
- type: session-affinity-scorer
- type: queue-scorer
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: session-affinity-scorer, weight: 10}
  - {pluginRef: queue-scorer, weight: 1}
)");
  setWaiting("10.0.0.1:8000", 3);
  setWaiting("10.0.0.2:8000", 9);  // pod-b: the busiest
  setWaiting("10.0.0.3:8000", 0);
  EXPECT_EQ(decide("no session").destination, "10.0.0.3:8000");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(decide("turn", {{"x-session-token", "cG9kLWI="}}).destination,  // base64 "pod-b"
              "10.0.0.2:8000");
  }
  // A token of the reference EPP (namespace/name) works too.
  EXPECT_EQ(
      decide("turn", {{"x-session-token", "ZGVmYXVsdC9wb2QtYQ=="}}).destination,  // default/pod-a
      "10.0.0.1:8000");
  // An unknown or broken token falls back to load.
  EXPECT_EQ(decide("turn", {{"x-session-token", "cG9kLXo="}}).destination, "10.0.0.3:8000");
  EXPECT_EQ(decide("turn", {{"x-session-token", "!!"}}).destination, "10.0.0.3:8000");
}

// The response half of session affinity: the token of the serving endpoint on the client's
// response. The plugin sets it through response_set_header (ABI 1.2) and RequestContext keeps
// it; the pipeline's response observer hands RequestContext::takeResponseHeaders() to the
// transport after the response_headers hooks (host/runtime/pipeline.cc).
TEST_F(PipelinePluginsTest, SessionAffinityWritesTheTokenOnTheResponse) {
  load(R"(
plugins:
- type: session-affinity-scorer
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: session-affinity-scorer}
)");
  RoutingDecision d = decide("first turn");
  const std::string served = d.destination;
  extproc::HeaderList set = respond(d);
  std::string token;
  for (const auto& [k, v] : set) {
    if (k == "x-session-token") token = v;
  }
  const std::map<std::string, std::string> expected = {
      {"10.0.0.1:8000", "cG9kLWE="}, {"10.0.0.2:8000", "cG9kLWI="}, {"10.0.0.3:8000", "cG9kLWM="}};
  EXPECT_EQ(token, expected.at(served));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(decide("next turn", {{"x-session-token", token}}).destination, served);
  }
}

TEST_F(PipelinePluginsTest, NoHitLruScorerRotatesColdRequests) {
  load(R"(
plugins:
- type: no-hit-lru-scorer
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: no-hit-lru-scorer}
)");
  // No prefix producer: every request is cold. Each goes to the endpoint least recently
  // given one, so six requests visit every endpoint twice, in a fixed rotation.
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) order.push_back(decide("cold " + std::to_string(i)).destination);
  EXPECT_EQ(std::set<std::string>(order.begin(), order.begin() + 3).size(), 3u);
  for (int i = 3; i < 6; ++i) EXPECT_EQ(order[i], order[i - 3]) << i;
}

TEST_F(PipelinePluginsTest, LabelSelectorFilterAndItsOldNames) {
  load(R"(
plugins:
- type: label-selector-filter
  name: h100
  parameters:
    matchLabels: {gpu: H100}
- type: by-label
  name: any-gpu
  parameters: {label: gpu, validValues: [H100, A100]}
- type: queue-scorer
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: any-gpu}
  - {pluginRef: h100}
  - {pluginRef: queue-scorer}
)");
  setWaiting("10.0.0.1:8000", 5);
  setWaiting("10.0.0.2:8000", 0);  // least loaded, but A100
  setWaiting("10.0.0.3:8000", 2);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(decide("x").destination, "10.0.0.3:8000");
}

TEST_F(PipelinePluginsTest, PrefixCacheAffinityFilterSticksUntilTheStickyEndpointIsSlow) {
  load(R"(
plugins:
- type: approx-prefix-cache-producer
- type: prefix-cache-affinity-filter
  parameters: {affinityThreshold: 0.4, maxTTFTPenaltyMs: 150}
- type: token-load-scorer
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: prefix-cache-affinity-filter}
  - {pluginRef: token-load-scorer}
)");
  // Half of each prompt is shared: a match of about 0.5 on the endpoint that served it, and
  // about 1,000 uncached tokens per request there (63 ms at 15,928 tokens/s).
  const std::string shared(4000, 's');
  auto prompt = [&](int i) { return shared + std::string(4000, static_cast<char>('a' + i)); };
  RoutingDecision first = decide(prompt(0));
  const std::string sticky = first.destination;
  respond(first);  // completed: its prefix stays cached, its load is gone
  // Token-load alone would spread these; the filter keeps them on the prefix's holder while
  // its estimated TTFT stays within 150 ms of the idle endpoints' (0, 63 and 127 ms)...
  std::vector<RoutingDecision> inFlight;
  for (int i = 1; i <= 3; ++i) {
    inFlight.push_back(decide(prompt(i)));
    EXPECT_EQ(inFlight.back().destination, sticky) << "request " << i;
  }
  // ...and opens the set at 190 ms: the load scorer then moves the request away.
  RoutingDecision overflow = decide(prompt(4));
  EXPECT_NE(overflow.destination, sticky);
  // Completions bring the sticky endpoint back under the penalty.
  for (auto& d : inFlight) respond(d);
  EXPECT_EQ(decide(prompt(5)).destination, sticky);
}

}  // namespace
}  // namespace epp::runtime

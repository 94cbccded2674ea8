// The request path without the transport: config text -> snapshot with the real built-in
// plugin libraries -> Pipeline::decide over an endpoint store. Checks routing choices,
// error codes, decision trees and what /decisions records.
#include "host/runtime/pipeline.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "host/runtime/config_snapshot.h"

namespace epp::runtime {
namespace {

using extproc::RequestInput;
using extproc::RoutingDecision;

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new loader::PluginRegistry(
        {.cache_dir = std::filesystem::temp_directory_path() / "eppd-pipeline-test-cache",
         .host_abi = {}});
    ASSERT_TRUE(registry_->scan({EPP_BUILTIN_PLUGIN_DIR})) << registry_->errors().front().message;
  }

  void load(const std::string& yaml) {
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
      s.labels = e.labels;
      s.hasMetrics = true;
      states.push_back(s);
    }
    store_.replace(states);
    pipeline_ = std::make_unique<Pipeline>([this] { return snapshot_; }, store_, log_);
  }

  void setState(const std::string& hostPort, int64_t waiting, double kv = 0) {
    store_.update([&](std::vector<datalayer::EndpointState>& states) {
      for (auto& s : states) {
        if (s.hostPort() == hostPort) {
          s.waiting = waiting;
          s.kvCacheUsage = kv;
        }
      }
      return true;
    });
  }

  RoutingDecision decide(const std::string& body, const std::string& path = "/v1/completions",
                         extproc::HeaderList extra = {}) {
    auto in = std::make_shared<RequestInput>();
    in->requestId = "req-" + std::to_string(++counter_);
    in->headers = {{":path", path}, {":method", "POST"}};
    for (auto& h : extra) in->headers.push_back(h);
    in->body = body;
    return pipeline_->decide(in);
  }

  static std::string completion(const std::string& prompt, const std::string& model = "m") {
    return R"({"model":")" + model + R"(","prompt":")" + prompt + R"("})";
  }

  static inline loader::PluginRegistry* registry_ = nullptr;
  ConfigSnapshotPtr snapshot_;
  datalayer::EndpointStore store_;
  DecisionLog log_{64};
  std::unique_ptr<Pipeline> pipeline_;
  int counter_ = 0;
};

constexpr char kDefault[] = R"(
apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: queue-scorer, weight: 2}
  - {pluginRef: kv-cache-utilization-scorer, weight: 2}
  - {pluginRef: prefix-cache-scorer, weight: 3}
  - {pluginRef: max-score-picker}
endpoints:
- {address: 10.0.0.1, port: 8000}
- {address: 10.0.0.2, port: 8000}
- {address: 10.0.0.3, port: 8000}
)";

TEST_F(PipelineTest, PicksTheLeastLoadedEndpoint) {
  load(kDefault);
  setState("10.0.0.1:8000", 10, 0.9);
  setState("10.0.0.2:8000", 0, 0.1);
  setState("10.0.0.3:8000", 5, 0.5);
  RoutingDecision d = decide(completion("hello"));
  EXPECT_EQ(d.httpStatus, 0) << d.errorMessage;
  EXPECT_EQ(d.destination, "10.0.0.2:8000");
  ASSERT_NE(d.observer, nullptr);
}

TEST_F(PipelineTest, SharedPrefixFollowsTheFirstRequestsEndpoint) {
  load(kDefault);
  std::string system(4000, 's');
  RoutingDecision first = decide(completion(system + " question one"));
  ASSERT_EQ(first.httpStatus, 0) << first.errorMessage;
  // Make the first endpoint a little busier: the prefix (weight 3) must still win.
  setState(first.destination, 1);
  for (int i = 0; i < 5; ++i) {
    RoutingDecision again = decide(completion(system + " question " + std::to_string(i + 2)));
    EXPECT_EQ(again.destination, first.destination) << "request " << i;
  }
  auto records = log_.last(1);
  ASSERT_EQ(records.size(), 1u);
  const auto& trace = records[0].profiles.at(0);
  ASSERT_EQ(trace.scorers.size(), 3u);
  // The prefix scorer's raw score is 1 on the endpoint that holds the prefix, 0 elsewhere.
  for (size_t i = 0; i < trace.candidates.size(); ++i) {
    EXPECT_DOUBLE_EQ(trace.scorers[2].raw[i], trace.candidates[i] == first.destination ? 1.0 : 0.0)
        << trace.candidates[i];
  }
}

TEST_F(PipelineTest, ErrorsCarryTheReferenceCodes) {
  load(std::string(kDefault) + "routing: {models: [m]}\n");
  RoutingDecision bad = decide("{not json");
  EXPECT_EQ(bad.httpStatus, 400);
  EXPECT_EQ(bad.errorCode, "BadRequest");
  RoutingDecision noModel = decide(R"({"prompt":"x"})");
  EXPECT_EQ(noModel.httpStatus, 400);
  EXPECT_EQ(noModel.errorMessage, "model is required");
  RoutingDecision unknown = decide(completion("x", "other"));
  EXPECT_EQ(unknown.httpStatus, 404);
  EXPECT_EQ(unknown.errorCode, "NotFound");
  auto records = log_.last(3);
  EXPECT_EQ(records[0].httpStatus, 404);
  EXPECT_EQ(records[2].httpStatus, 400);
}

TEST_F(PipelineTest, SubsetHintLimitsTheChoice) {
  load(kDefault);
  setState("10.0.0.3:8000", 50);
  auto in = std::make_shared<RequestInput>();
  in->requestId = "subset";
  in->headers = {{":path", "/v1/completions"}};
  in->body = completion("x");
  in->hasSubsetHint = true;
  in->subsetHint = {"10.0.0.3:8000", "192.0.2.1:80"};
  RoutingDecision d = pipeline_->decide(in);
  EXPECT_EQ(d.destination, "10.0.0.3:8000");
  in->subsetHint = {};
  RoutingDecision none = pipeline_->decide(in);
  EXPECT_EQ(none.httpStatus, 503);
  EXPECT_EQ(none.errorCode, "ServiceUnavailable");
}

TEST_F(PipelineTest, UnhealthyEndpointsAreNotCandidates) {
  load(kDefault);
  store_.update([](std::vector<datalayer::EndpointState>& states) {
    for (auto& s : states) s.health = EPP_HEALTH_UNHEALTHY;
    return true;
  });
  RoutingDecision d = decide(completion("x"));
  EXPECT_EQ(d.httpStatus, 503);
}

TEST_F(PipelineTest, HeaderOnlyRequestGoesToSomeEndpoint) {
  load(kDefault);
  auto in = std::make_shared<RequestInput>();
  in->requestId = "get";
  in->headers = {{":path", "/v1/models"}, {":method", "GET"}};
  in->headersOnly = true;
  RoutingDecision d = pipeline_->decide(in);
  EXPECT_EQ(d.httpStatus, 0);
  EXPECT_TRUE(d.destination == "10.0.0.1:8000" || d.destination == "10.0.0.2:8000" ||
              d.destination == "10.0.0.3:8000")
      << d.destination;
}

TEST_F(PipelineTest, FallbacksFollowThePrimary) {
  std::string yaml = kDefault;
  yaml.replace(yaml.find("- type: max-score-picker"), 24,
               "- type: max-score-picker\n  parameters: {maxNumOfEndpoints: 3}");
  load(yaml);
  setState("10.0.0.1:8000", 9);
  setState("10.0.0.2:8000", 0);
  setState("10.0.0.3:8000", 3);
  RoutingDecision d = decide(completion("x"));
  EXPECT_EQ(d.destination, "10.0.0.2:8000,10.0.0.3:8000,10.0.0.1:8000");
}

// The classic low-latency tree: low-queue -> lora-affinity -> least-queue -> least-kv,
// failure branch least-queue -> lora-affinity -> least-kv.
constexpr char kTree[] = R"(
apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: low-queue-filter
  parameters: {threshold: 10}
- type: lora-affinity-filter
- type: least-queue-filter
- type: least-kv-cache-filter
- type: random-picker
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: random-picker}
decisionTrees:
- profile: default
  root: low-queue
  nodes:
  - {name: low-queue, filter: low-queue-filter, onSuccess: affinity, onFailure: fallback-queue}
  - {name: affinity, filter: lora-affinity-filter, onSuccess: least-queue, onFailure: least-queue}
  - {name: least-queue, filter: least-queue-filter, onSuccess: least-kv, onFailure: least-kv}
  - {name: least-kv, filter: least-kv-cache-filter}
  - {name: fallback-queue, filter: least-queue-filter, onSuccess: fallback-affinity,
     onFailure: fallback-affinity}
  - {name: fallback-affinity, filter: lora-affinity-filter, onSuccess: least-kv,
     onFailure: least-kv}
endpoints:
- {address: 10.0.0.1, port: 8000}
- {address: 10.0.0.2, port: 8000}
- {address: 10.0.0.3, port: 8000}
)";

std::vector<std::string> stepNames(const DecisionRecord& r) {
  std::vector<std::string> out;
  for (const auto& s : r.profiles.at(0).steps) out.push_back(s.step);
  return out;
}

TEST_F(PipelineTest, DecisionTreeSuccessBranch) {
  load(kTree);
  setState("10.0.0.1:8000", 2, 0.9);
  setState("10.0.0.2:8000", 2, 0.2);
  setState("10.0.0.3:8000", 40, 0.0);
  RoutingDecision d = decide(completion("x"));
  EXPECT_EQ(d.destination, "10.0.0.2:8000");
  auto r = log_.last(1).at(0);
  EXPECT_EQ(stepNames(r),
            (std::vector<std::string>{"low-queue", "affinity", "least-queue", "least-kv"}));
  EXPECT_EQ(r.profiles[0].steps[0].candidates,
            (std::vector<std::string>{"10.0.0.1:8000", "10.0.0.2:8000"}));
}

TEST_F(PipelineTest, DecisionTreeFailureBranch) {
  load(kTree);
  setState("10.0.0.1:8000", 30, 0.1);
  setState("10.0.0.2:8000", 20, 0.7);
  setState("10.0.0.3:8000", 20, 0.3);
  RoutingDecision d = decide(completion("x"));
  EXPECT_EQ(d.destination, "10.0.0.3:8000");
  auto r = log_.last(1).at(0);
  EXPECT_EQ(stepNames(r), (std::vector<std::string>{"low-queue", "fallback-queue",
                                                    "fallback-affinity", "least-kv"}));
  EXPECT_FALSE(r.profiles[0].steps[0].result);
}

TEST_F(PipelineTest, PredicateNodeBranchesOnAHeader) {
  std::string yaml = R"(
apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: low-queue-filter
  parameters: {threshold: 1}
- type: least-kv-cache-filter
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins: [{pluginRef: max-score-picker}]
decisionTrees:
- profile: default
  root: premium
  nodes:
  - {name: premium, predicate: {header: x-tier, equals: premium}, onSuccess: idle,
     onFailure: cool}
  - {name: idle, filter: low-queue-filter}
  - {name: cool, filter: least-kv-cache-filter}
endpoints:
- {address: 10.0.0.1, port: 8000}
- {address: 10.0.0.2, port: 8000}
)";
  load(yaml);
  setState("10.0.0.1:8000", 0, 0.9);
  setState("10.0.0.2:8000", 5, 0.1);
  EXPECT_EQ(decide(completion("x"), "/v1/completions", {{"x-tier", "premium"}}).destination,
            "10.0.0.1:8000");
  EXPECT_EQ(decide(completion("x")).destination, "10.0.0.2:8000");
}

}  // namespace
}  // namespace epp::runtime

// The request path without the transport: config text -> snapshot with the real built-in
// plugin libraries -> Pipeline::decide over an endpoint store. Checks routing choices,
// error codes, decision trees and what /decisions records.
#include "host/runtime/pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "host/common/clock.h"
#include "host/common/metrics_registry.h"
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
    ASSERT_TRUE(registry_->scan({EPP_BUILTIN_PLUGIN_DIR, EPP_TEST_PLUGIN_DIR}))
        << registry_->errors().front().message;
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
          s.metricsUpdatedNs = common::monotonicNowNs();
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

// The value of one series of the process registry (labels must match exactly), or -1.
double metricValue(const std::string& name, const std::map<std::string, std::string>& labels) {
  for (const auto& family : common::metricsRegistry().Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have != labels) continue;
      if (family.type == prometheus::MetricType::Counter) return m.counter.value;
      if (family.type == prometheus::MetricType::Gauge) return m.gauge.value;
    }
  }
  return -1;
}

constexpr char kAdmission[] = R"(
apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: max-score-picker
- type: utilization-detector
  parameters: {metricsStalenessThreshold: 1m}
schedulingProfiles:
- name: default
  plugins: [{pluginRef: queue-scorer}, {pluginRef: max-score-picker}]
objectives:
- {name: batch, priority: -1}
- {name: critical, priority: 10}
endpoints:
- {address: 10.0.0.1, port: 8000}
- {address: 10.0.0.2, port: 8000}
)";

// kAdmission with the scripted detector answering `answer` (and `value`).
std::string scripted(const std::string& answer, double value = 0) {
  std::string yaml = kAdmission;
  std::string from =
      "- type: utilization-detector\n  parameters: {metricsStalenessThreshold: 1m}\n";
  std::string to = "- type: scripted-detector\n  parameters: {answer: " + answer +
                   ", value: " + std::to_string(value) + "}\n";
  yaml.replace(yaml.find(from), from.size(), to);
  return yaml + "saturationDetector: {pluginRef: scripted-detector}\n";
}

const extproc::HeaderList kBatch = {{"x-gateway-inference-objective", "batch"}};
const extproc::HeaderList kCritical = {{"x-gateway-inference-objective", "critical"}};

TEST_F(PipelineTest, ShedsSheddableRequestsOnlyWhileThePoolIsSaturated) {
  load(kAdmission);
  ASSERT_NE(snapshot_->saturationDetector, nullptr);
  EXPECT_EQ(snapshot_->saturationDetector->name(), "utilization-detector");
  // q 10/5 = 2.0 and q 5/5 = 1.0: the pool reads 1.5.
  setState("10.0.0.1:8000", 10, 0.1);
  setState("10.0.0.2:8000", 5, 0.1);
  double shedBefore =
      std::max(0.0, metricValue("eppd_admission_rejections_total", {{"reason", "saturated"}}));
  RoutingDecision shed = decide(completion("x"), "/v1/completions", kBatch);
  EXPECT_EQ(shed.httpStatus, 429);
  EXPECT_EQ(shed.errorCode, "ResourceExhausted");
  EXPECT_EQ(shed.errorMessage, "system saturated, sheddable request dropped");
  EXPECT_EQ(shed.observer, nullptr);
  DecisionRecord r = log_.last(1).at(0);
  EXPECT_EQ(r.httpStatus, 429);
  EXPECT_EQ(r.priority, -1);
  EXPECT_EQ(r.objective, "batch");
  ASSERT_TRUE(r.admission.has_value());
  EXPECT_EQ(r.admission->outcome, "rejected");
  EXPECT_EQ(r.admission->detector, "utilization-detector");
  EXPECT_DOUBLE_EQ(r.admission->saturation, 1.5);
  EXPECT_TRUE(r.profiles.empty());  // never scheduled
  EXPECT_EQ(metricValue("eppd_admission_rejections_total", {{"reason", "saturated"}}),
            shedBefore + 1);
  EXPECT_DOUBLE_EQ(metricValue("inference_extension_flow_control_pool_saturation",
                               {{"inference_pool", "default"}}),
                   1.5);

  // At the same time, a critical request and one without an objective are scheduled, and
  // the detector is not asked for them.
  RoutingDecision critical = decide(completion("x"), "/v1/completions", kCritical);
  EXPECT_EQ(critical.httpStatus, 0) << critical.errorMessage;
  EXPECT_EQ(critical.destination, "10.0.0.2:8000");
  r = log_.last(1).at(0);
  EXPECT_EQ(r.priority, 10);
  EXPECT_FALSE(r.admission.has_value());
  EXPECT_EQ(decide(completion("x")).httpStatus, 0);
  EXPECT_EQ(log_.last(1).at(0).priority, 0);

  // Below saturation the sheddable request is scheduled: max(1/5, 0.4/0.8) = 0.5 and
  // max(0/5, 0.1/0.8) = 0.125 -> 0.3125.
  setState("10.0.0.1:8000", 1, 0.4);
  setState("10.0.0.2:8000", 0, 0.1);
  RoutingDecision admitted = decide(completion("x"), "/v1/completions", kBatch);
  EXPECT_EQ(admitted.httpStatus, 0) << admitted.errorMessage;
  r = log_.last(1).at(0);
  ASSERT_TRUE(r.admission.has_value());
  EXPECT_EQ(r.admission->outcome, "unsaturated");
  EXPECT_DOUBLE_EQ(r.admission->saturation, 0.3125);
}

TEST_F(PipelineTest, UnknownObjectiveGetsPriorityZero) {
  load(kAdmission);
  setState("10.0.0.1:8000", 50);
  setState("10.0.0.2:8000", 50);
  RoutingDecision d =
      decide(completion("x"), "/v1/completions", {{"x-gateway-inference-objective", "nightly"}});
  EXPECT_EQ(d.httpStatus, 0) << d.errorMessage;
  DecisionRecord r = log_.last(1).at(0);
  EXPECT_EQ(r.objective, "nightly");
  EXPECT_EQ(r.priority, 0);
  EXPECT_FALSE(r.admission.has_value());
}

TEST_F(PipelineTest, PriorityReachesTheRequestContextAndTheRequestMetric) {
  std::string yaml = std::string(kAdmission) + R"(
decisionTrees:
- profile: default
  root: sheddable
  nodes:
  - {name: sheddable, predicate: {priority: {lt: 0}}, onSuccess: idle, onFailure: any}
  - {name: idle, filter: low-queue-filter}
  - {name: any, filter: least-kv-cache-filter}
)";
  yaml.replace(yaml.find("- type: max-score-picker"), 0,
               "- {type: low-queue-filter, parameters: {threshold: 0}}\n"
               "- type: least-kv-cache-filter\n");
  load(yaml);
  // 10.0.0.1: idle queue, full KV; 10.0.0.2: short queue, empty KV. Pool reads < 1.
  setState("10.0.0.1:8000", 0, 0.7);
  setState("10.0.0.2:8000", 1, 0.0);
  double before =
      metricValue("inference_objective_request_total",
                  {{"model_name", "m"}, {"target_model_name", "m"}, {"priority", "-1"}});
  EXPECT_EQ(decide(completion("x"), "/v1/completions", kBatch).destination, "10.0.0.1:8000");
  EXPECT_EQ(decide(completion("x"), "/v1/completions", kCritical).destination, "10.0.0.2:8000");
  EXPECT_EQ(metricValue("inference_objective_request_total",
                        {{"model_name", "m"}, {"target_model_name", "m"}, {"priority", "-1"}}),
            std::max(before, 0.0) + 1);
}

TEST_F(PipelineTest, DetectorFailureAdmitsAndIsCounted) {
  for (const char* answer : {"error", "nan", "negative"}) {
    SCOPED_TRACE(answer);
    load(scripted(answer));
    double failOpen = std::max(0.0, metricValue("eppd_admission_fail_open_total", {}));
    double pluginErrors = std::max(
        0.0, metricValue("eppd_plugin_errors_total", {{"plugin_name", "scripted-detector"},
                                                      {"extension_point", "saturation-detector"}}));
    RoutingDecision d = decide(completion("x"), "/v1/completions", kBatch);
    EXPECT_EQ(d.httpStatus, 0) << d.errorMessage;
    DecisionRecord r = log_.last(1).at(0);
    ASSERT_TRUE(r.admission.has_value());
    EXPECT_EQ(r.admission->outcome, "failed-open");
    EXPECT_FALSE(r.admission->error.empty());
    EXPECT_EQ(metricValue("eppd_admission_fail_open_total", {}), failOpen + 1);
    EXPECT_EQ(metricValue("eppd_plugin_errors_total", {{"plugin_name", "scripted-detector"},
                                                       {"extension_point", "saturation-detector"}}),
              pluginErrors + 1);
  }
}

TEST_F(PipelineTest, SaturationExactlyOneIsSaturated) {
  load(scripted("value", 1.0));
  EXPECT_EQ(decide(completion("x"), "/v1/completions", kBatch).httpStatus, 429);
  load(scripted("value", 0.999));
  EXPECT_EQ(decide(completion("x"), "/v1/completions", kBatch).httpStatus, 0);
}

TEST_F(PipelineTest, DetectorSeesTheSubsetHintedCandidates) {
  load(scripted("count"));  // saturation = number of endpoints passed
  auto withHint = [&](std::vector<std::string> hint) {
    auto in = std::make_shared<RequestInput>();
    in->requestId = "hinted";
    in->headers = {{":path", "/v1/completions"}, {"x-gateway-inference-objective", "batch"}};
    in->body = completion("x");
    in->hasSubsetHint = true;
    in->subsetHint = std::move(hint);
    return pipeline_->decide(in);
  };
  EXPECT_EQ(decide(completion("x"), "/v1/completions", kBatch).httpStatus, 429);  // 2 endpoints
  EXPECT_EQ(withHint({"10.0.0.2:8000"}).httpStatus, 429);                         // 1.0
  EXPECT_DOUBLE_EQ(log_.last(1).at(0).admission->saturation, 1.0);
  RoutingDecision none = withHint({"192.0.2.9:80"});  // 0 endpoints: admitted, then 503
  EXPECT_EQ(none.httpStatus, 503);
  EXPECT_DOUBLE_EQ(log_.last(1).at(0).admission->saturation, 0.0);
}

TEST_F(PipelineTest, DetectorSeesLiveInflightCounts) {
  load(scripted("inflight"));  // saturation = requests in flight
  // A sheddable request's status; a routed one completes at once, holding nothing.
  auto sheddable = [&] {
    RoutingDecision d = decide(completion("x"), "/v1/completions", kBatch);
    if (d.observer) d.observer->onComplete(true);
    return d.httpStatus;
  };
  EXPECT_EQ(sheddable(), 0);
  RoutingDecision running = decide(completion("x"));  // in flight until it completes
  ASSERT_EQ(running.httpStatus, 0);
  ASSERT_NE(running.observer, nullptr);
  // No endpoint snapshot is published in between: the count comes from the live counters.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while ((status = sheddable()) != 429 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(status, 429);
  EXPECT_DOUBLE_EQ(log_.last(1).at(0).admission->saturation, 1.0);
  running.observer->onComplete(true);
  while ((status = sheddable()) != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(status, 0);
}

}  // namespace
}  // namespace epp::runtime

namespace epp::runtime {
namespace {

void markStale(datalayer::EndpointStore& store, const std::string& hostPort, bool stale) {
  store.update([&](std::vector<datalayer::EndpointState>& states) {
    for (auto& s : states) {
      if (hostPort.empty() || s.hostPort() == hostPort) s.stale = stale;
    }
    return true;
  });
}

TEST_F(PipelineTest, EveryCandidateStaleMeansRoundRobinUntilOneIsFresh) {
  load(kDefault);
  setState("10.0.0.1:8000", 10, 0.9);  // the worst by its last (stale) metrics
  setState("10.0.0.2:8000", 0, 0.1);
  setState("10.0.0.3:8000", 5, 0.5);
  markStale(store_, "", true);
  const double before = std::max(0.0, metricValue("eppd_degraded_requests_total", {}));
  std::map<std::string, int> picks;
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    RoutingDecision d = decide(completion("hello"));
    ASSERT_EQ(d.httpStatus, 0) << d.errorMessage;
    ASSERT_NE(d.observer, nullptr);
    ++picks[d.destination];
    order.push_back(d.destination);
  }
  EXPECT_EQ(picks, (std::map<std::string, int>{
                       {"10.0.0.1:8000", 2}, {"10.0.0.2:8000", 2}, {"10.0.0.3:8000", 2}}));
  EXPECT_EQ(order[0], order[3]);  // a strict rotation
  EXPECT_EQ(log_.last(1).front().primaryProfile, "degraded-round-robin");
  EXPECT_DOUBLE_EQ(metricValue("eppd_degraded_round_robin", {}), 1);
  EXPECT_DOUBLE_EQ(metricValue("eppd_degraded_requests_total", {}) - before, 6);

  // One endpoint with fresh metrics: scheduling resumes, on the best fresh state.
  markStale(store_, "10.0.0.2:8000", false);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(decide(completion("hello")).destination, "10.0.0.2:8000");
  EXPECT_DOUBLE_EQ(metricValue("eppd_degraded_round_robin", {}), 0);
  EXPECT_DOUBLE_EQ(metricValue("eppd_degraded_requests_total", {}) - before, 6);
}

}  // namespace
}  // namespace epp::runtime

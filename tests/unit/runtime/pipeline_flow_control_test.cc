// The request path with the flowControl gate on, in process: configs/flow-control.yaml
// resolved into the snapshot's FlowControlConfig, and Pipeline::route with the dispatcher
// driven by hand (FlowDrive::kManual) over the real plugin libraries: a request waits
// between the prepare and schedule stages, leaves in priority order when a slot frees, is
// scheduled over the endpoints of that moment, and answers 503 when its client goes away.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "host/runtime/config_snapshot.h"
#include "host/runtime/pipeline.h"

namespace epp::runtime {
namespace {

using extproc::RequestInput;
using extproc::RoutingDecision;

class PipelineFlowControlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new loader::PluginRegistry(
        {.cache_dir = std::filesystem::temp_directory_path() / "eppd-pipeline-fc-test-cache",
         .host_abi = {}});
    ASSERT_TRUE(registry_->scan({EPP_BUILTIN_PLUGIN_DIR}));
  }

  static common::Result<ConfigSnapshotPtr> build(config::PickerConfig parsed) {
    auto resolved = config::resolveConfig(parsed, kindLookup(*registry_));
    if (!resolved) return common::Error{resolved.error()};
    return buildSnapshot(std::move(parsed), *registry_, 1);
  }

  static datalayer::EndpointState endpoint(const std::string& address) {
    datalayer::EndpointState s;
    s.address = address;
    s.port = 8000;
    s.hasMetrics = true;
    return s;
  }

  // Routes a request; the decision lands in `out` whenever it is made.
  std::shared_ptr<RequestInput> route(const std::string& id, const std::string& objective,
                                      std::optional<RoutingDecision>& out) {
    auto in = std::make_shared<RequestInput>();
    in->requestId = id;
    in->headers = {{":path", "/v1/completions"}, {":method", "POST"}};
    if (!objective.empty()) in->headers.emplace_back("x-gateway-inference-objective", objective);
    in->body = R"({"model":"m","prompt":"hello"})";
    pipeline_->route(in, [&out](RoutingDecision d) { out = std::move(d); });
    return in;
  }

  static inline loader::PluginRegistry* registry_ = nullptr;
  ConfigSnapshotPtr snapshot_;
  datalayer::EndpointStore store_;
  DecisionLog log_{64};
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineFlowControlTest, TheExampleConfigResolvesIntoBands) {
  auto parsed = config::loadConfigFile(std::string(EPP_CONFIGS_DIR) + "/flow-control.yaml");
  ASSERT_TRUE(parsed) << parsed.error();
  auto snap = build(std::move(*parsed));
  ASSERT_TRUE(snap) << snap.error();
  const flowcontrol::FlowControlConfig& fc = (*snap)->flowControl;
  EXPECT_TRUE(fc.enabled);
  ASSERT_NE(fc.detector, nullptr);
  EXPECT_EQ(fc.detector->name(), "concurrency-detector");
  EXPECT_EQ(fc.maxBytes, int64_t{8} << 30);
  EXPECT_EQ(fc.maxRequests, 20000);
  EXPECT_EQ(fc.defaultTtlNs, 30'000'000'000);
  ASSERT_EQ(fc.bands.size(), 3u);
  EXPECT_EQ(fc.bands[0].priority, 100);  // highest first
  EXPECT_EQ(fc.bands[0].maxRequests, 2000);
  EXPECT_EQ(fc.bands[0].maxBytes, flowcontrol::kDefaultBandMaxBytes);
  EXPECT_EQ(fc.bands[0].fairness->name(), "round-robin-fairness-policy");
  EXPECT_EQ(fc.bands[0].ordering->name(), "slo-deadline-ordering-policy");
  EXPECT_FALSE(fc.bands[0].fifo);  // a heap
  EXPECT_EQ(fc.bands[1].priority, 0);
  EXPECT_EQ(fc.bands[1].ordering->name(), "fcfs-ordering-policy");  // injected default
  EXPECT_TRUE(fc.bands[1].fifo);
  EXPECT_EQ(fc.bands[2].priority, -1);
  EXPECT_EQ(fc.bands[2].maxBytes, int64_t{256} << 20);
  EXPECT_EQ(fc.bands[2].fairness->name(), "global-strict-fairness-policy");
  // A priority without a band takes the default band's limits and policies.
  flowcontrol::BandConfig other = fc.bandFor(7);
  EXPECT_EQ(other.priority, 7);
  EXPECT_EQ(other.maxRequests, 5000);
  EXPECT_EQ(other.maxBytes, int64_t{1} << 30);
  EXPECT_EQ(other.ordering->name(), "fcfs-ordering-policy");
}

TEST_F(PipelineFlowControlTest, TheMultiTenantExampleLimitsTenantsThenQueuesThemFairly) {
  auto parsed = config::loadConfigFile(std::string(EPP_CONFIGS_DIR) + "/multi-tenant.yaml");
  ASSERT_TRUE(parsed) << parsed.error();
  auto snap = build(std::move(*parsed));
  ASSERT_TRUE(snap) << snap.error();
  const ConfigSnapshot& s = **snap;
  // Rate limits: per tenant (the fairness id), gold and trial tenants with their own rule.
  ASSERT_EQ(s.rateLimiters.size(), 2u);
  const config::RateLimitSpec& tenants = s.rateLimiters[0]->spec();
  EXPECT_EQ(tenants.keyHeader, "x-gateway-inference-fairness-id");
  EXPECT_EQ(tenants.rule.algorithm, config::RateLimitRule::Algorithm::kTokenBucket);
  EXPECT_DOUBLE_EQ(tenants.rule.rate, 20);
  EXPECT_DOUBLE_EQ(tenants.rule.burst, 40);
  ASSERT_EQ(tenants.overrides.size(), 2u);
  EXPECT_DOUBLE_EQ(tenants.overrides.at("tenant-gold").rate, 100);
  EXPECT_EQ(tenants.overrides.at("tenant-trial").algorithm,
            config::RateLimitRule::Algorithm::kSlidingWindow);
  EXPECT_EQ(tenants.overrides.at("tenant-trial").maxRequests, 60);
  EXPECT_EQ(s.rateLimiters[1]->spec().keyHeader, "x-user");
  // A tenant over its bucket is refused before it is queued (429 with retry-after).
  extproc::HeaderList blue = {{"x-gateway-inference-fairness-id", "tenant-blue"}};
  int64_t now = 1'000'000'000;
  for (int i = 0; i < 40; ++i) {
    EXPECT_FALSE(flowcontrol::checkRateLimits(s.rateLimiters, blue, now)) << i;
  }
  auto refused = flowcontrol::checkRateLimits(s.rateLimiters, blue, now);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->key, "tenant-blue");
  // Flow control: the utilization detector gates dispatch; every band takes turns by tenant.
  const flowcontrol::FlowControlConfig& fc = s.flowControl;
  EXPECT_TRUE(fc.enabled);
  ASSERT_NE(fc.detector, nullptr);
  EXPECT_EQ(fc.detector->typeName(), "utilization-detector");
  EXPECT_EQ(fc.defaultTtlNs, 60'000'000'000);
  ASSERT_EQ(fc.bands.size(), 3u);
  for (const auto& band : fc.bands) {
    EXPECT_EQ(band.fairness->name(), "round-robin-fairness-policy") << band.priority;
  }
  EXPECT_EQ(fc.bands[0].priority, 100);
  EXPECT_EQ(fc.bands[0].ordering->name(), "edf-ordering-policy");
  EXPECT_EQ(fc.bands[2].priority, -1);
  EXPECT_EQ(fc.bands[2].maxRequests, 500);
  EXPECT_EQ(fc.bandFor(5).ordering->name(), "edf-ordering-policy");
  EXPECT_EQ(s.objectives.lookup("batch").priority, -1);
}

TEST_F(PipelineFlowControlTest, AnUnknownPolicyIsAConfigError) {
  auto parsed = config::parseConfig(R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
featureGates: [flowControl]
plugins:
- type: max-score-picker
- {name: rr, type: round-robin-fairness-policy}
flowControl:
  priorityBands:
  - {priority: 1, orderingPolicyRef: rr}
)",
                                    "bad.yaml");
  ASSERT_TRUE(parsed) << parsed.error();
  auto resolved = config::resolveConfig(*parsed, kindLookup(*registry_));
  ASSERT_FALSE(resolved);
  EXPECT_NE(resolved.error().find("orderingPolicyRef"), std::string::npos) << resolved.error();
}

TEST_F(PipelineFlowControlTest, RequestsWaitForASlotAndAreScheduledOverTheEndpointsOfThen) {
  auto parsed = config::parseConfig(R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
featureGates: [flowControl]
plugins:
- type: queue-scorer
- type: max-score-picker
- type: concurrency-detector
  parameters: {maxConcurrency: 1}
saturationDetector: {pluginRef: concurrency-detector}
objectives:
- {name: critical, priority: 10}
- {name: batch, priority: -1}
)",
                                    "fc.yaml");
  ASSERT_TRUE(parsed) << parsed.error();
  auto snap = build(std::move(*parsed));
  ASSERT_TRUE(snap) << snap.error();
  snapshot_ = *snap;
  store_.replace({endpoint("10.0.0.1")});
  pipeline_ = std::make_unique<Pipeline>([this] { return snapshot_; }, store_, log_,
                                         Pipeline::SeedSource{}, Pipeline::FlowDrive::kManual);
  flowcontrol::FlowController& fc = pipeline_->flowControl();

  std::optional<RoutingDecision> first, batch, critical;
  route("first", "", first);
  EXPECT_FALSE(first) << "the dispatcher has not run yet";
  fc.pump();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->httpStatus, 0) << first->errorMessage;
  EXPECT_EQ(first->destination, "10.0.0.1:8000");

  std::shared_ptr<RequestInput> batchInput = route("batch", "batch", batch);
  route("critical", "critical", critical);
  fc.pump();
  EXPECT_FALSE(batch);
  EXPECT_FALSE(critical);
  EXPECT_EQ(fc.queued(), 2u);

  // The pool changes while they wait: the dispatched request goes where the pool is now.
  store_.replace({endpoint("10.0.0.2")});
  first->observer->onComplete(true);  // frees the slot and wakes flow control
  fc.pump();
  ASSERT_TRUE(critical);
  EXPECT_FALSE(batch);
  EXPECT_EQ(critical->httpStatus, 0) << critical->errorMessage;
  EXPECT_EQ(critical->destination, "10.0.0.2:8000");

  // The batch request's client goes away: answered 503 at the next pump, not dispatched.
  batchInput->cancelled->cancel();
  fc.pump();
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->httpStatus, 503);
  EXPECT_EQ(batch->errorCode, "ServiceUnavailable");
  EXPECT_EQ(batch->errorMessage, "client disconnected");
  EXPECT_EQ(fc.queued(), 0u);

  auto records = log_.last(10);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].requestId, "batch");
  ASSERT_TRUE(records[0].queue);
  EXPECT_EQ(records[0].queue->outcome, "EvictedContextCancelled");
  EXPECT_EQ(records[0].queue->band, -1);
  EXPECT_EQ(records[1].requestId, "critical");
  ASSERT_TRUE(records[1].queue);
  EXPECT_EQ(records[1].queue->outcome, "Dispatched");
  EXPECT_EQ(records[1].queue->band, 10);
  EXPECT_EQ(records[1].queue->fairnessId, "default-flow");
  EXPECT_EQ(records[1].picks, std::vector<std::string>{"10.0.0.2:8000"});
  critical->observer->onComplete(true);
}

TEST_F(PipelineFlowControlTest, GateOffKeepsLegacyAdmission) {
  auto parsed = config::parseConfig(R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: max-score-picker
- type: concurrency-detector
  parameters: {maxConcurrency: 1}
saturationDetector: {pluginRef: concurrency-detector}
)",
                                    "legacy.yaml");
  ASSERT_TRUE(parsed) << parsed.error();
  auto snap = build(std::move(*parsed));
  ASSERT_TRUE(snap) << snap.error();
  snapshot_ = *snap;
  EXPECT_FALSE(snapshot_->flowControl.enabled);
  store_.replace({endpoint("10.0.0.1")});
  pipeline_ = std::make_unique<Pipeline>([this] { return snapshot_; }, store_, log_,
                                         Pipeline::SeedSource{}, Pipeline::FlowDrive::kManual);
  std::optional<RoutingDecision> a, b;
  route("a", "", a);
  route("b", "", b);    // saturated, but priority 0 is never shed nor queued in legacy mode
  ASSERT_TRUE(a && b);  // answered inline, without the dispatcher
  EXPECT_EQ(a->httpStatus, 0);
  EXPECT_EQ(b->httpStatus, 0);
  EXPECT_EQ(pipeline_->flowControl().queued(), 0u);
  a->observer->onComplete(true);
  b->observer->onComplete(true);
}

}  // namespace
}  // namespace epp::runtime

// Model routing on the request path, in process (Pipeline::decide with the real plugin
// libraries): the weighted split over 10,000 requests, sticky targets across a reload, the
// upstream body and the response rewritten back, LoRA fallback, and /decisions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "host/common/clock.h"
#include "host/runtime/config_snapshot.h"
#include "host/runtime/pipeline.h"

namespace epp::runtime {
namespace {

using extproc::RequestInput;
using extproc::RoutingDecision;
using ::testing::HasSubstr;

constexpr char kBase[] = R"(
apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: max-score-picker
- type: weighted-splitter
- {type: sticky-splitter, parameters: {header: x-user-id}}
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: queue-scorer}
  - {pluginRef: max-score-picker}
endpoints:
- {address: 10.0.0.1, port: 8000}
- {address: 10.0.0.2, port: 8000}
)";

constexpr char kSplit[] = R"(
routing:
  models: [llama-v1, llama-v2, base, {name: sql-lora, baseModel: base},
           {name: strict-lora, lora: true}]
  rules:
  - name: llama-rollout
    model: llama
    splitter: weighted-splitter
    targets: [{model: llama-v1, weight: 70}, {model: llama-v2, weight: 30}]
  - name: llama-sticky
    model: llama-chat
    splitter: sticky-splitter
    targets: [{model: llama-v1, weight: 50}, {model: llama-v2, weight: 50}]
)";

class RoutingPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new loader::PluginRegistry(
        {.cache_dir = std::filesystem::temp_directory_path() / "eppd-routing-pipeline-cache",
         .host_abi = {}});
    ASSERT_TRUE(registry_->scan({EPP_BUILTIN_PLUGIN_DIR}));
  }

  ConfigSnapshotPtr build(const std::string& yaml, uint64_t generation,
                          const ConfigSnapshot* previous = nullptr) {
    auto parsed = config::parseConfig(yaml, "test.yaml");
    EXPECT_TRUE(parsed) << parsed.error();
    auto resolved = config::resolveConfig(*parsed, kindLookup(*registry_));
    EXPECT_TRUE(resolved) << resolved.error();
    auto snap = buildSnapshot(std::move(*parsed), *registry_, generation, previous);
    EXPECT_TRUE(snap) << snap.error();
    return *snap;
  }

  void load(const std::string& yaml) {
    snapshot_ = build(yaml, 1);
    std::vector<datalayer::EndpointState> states;
    for (const auto& e : snapshot_->config.endpoints) {
      datalayer::EndpointState s;
      s.address = e.address;
      s.port = e.port;
      s.hasMetrics = true;
      s.metricsUpdatedNs = common::monotonicNowNs();
      s.maxLoras = 1;
      s.activeLoras = {"other-lora"};
      states.push_back(s);
    }
    store_.replace(states);
    pipeline_ = std::make_unique<Pipeline>([this] { return snapshot_; }, store_, log_);
  }

  RoutingDecision decide(const std::string& model, extproc::HeaderList headers = {},
                         bool stream = false) {
    auto in = std::make_shared<RequestInput>();
    in->requestId = "req-" + std::to_string(++counter_);
    in->headers = {{":path", "/v1/chat/completions"}, {":method", "POST"}};
    for (auto& h : headers) in->headers.push_back(h);
    in->body = R"({"messages":[{"role":"user","content":"hi"}],"model":")" + model + "\"" +
               (stream ? R"(,"stream":true)" : "") + "}";
    lastInput_ = in;
    return pipeline_->decide(in);
  }

  // What the transport sends upstream: the body (after the pipeline's edits), unless the
  // decision replaces it.
  std::string upstreamBody(const RoutingDecision& d) const {
    return d.bodyReplaced ? d.body : lastInput_->body;
  }
  // The model the upstream body names.
  std::string upstreamModel(const RoutingDecision& d) const {
    std::string body = upstreamBody(d);
    size_t at = body.find(R"("model":")");
    return body.substr(at + 9, body.find('"', at + 9) - at - 9);
  }

  static inline loader::PluginRegistry* registry_ = nullptr;
  ConfigSnapshotPtr snapshot_;
  datalayer::EndpointStore store_;
  DecisionLog log_{16};
  std::unique_ptr<Pipeline> pipeline_;
  std::shared_ptr<RequestInput> lastInput_;
  int counter_ = 0;
};

TEST_F(RoutingPipelineTest, WeightedSplitWithinThreePercentOver10000Requests) {
  load(std::string(kBase) + kSplit);
  std::map<std::string, int> count;
  const int n = 10000;
  for (int i = 0; i < n; ++i) {
    RoutingDecision d = decide("llama");
    ASSERT_EQ(d.httpStatus, 0) << d.errorMessage;
    ++count[upstreamModel(d)];
    d.observer->onComplete(true);
  }
  EXPECT_EQ(count["llama-v1"] + count["llama-v2"], n);
  EXPECT_NEAR(count["llama-v2"] / static_cast<double>(n), 0.30, 0.03);
  std::cout << "[ split   ] llama-v1 " << count["llama-v1"] << ", llama-v2 " << count["llama-v2"]
            << " of " << n << " (weights 70/30)\n";
}

TEST_F(RoutingPipelineTest, StickySplitSurvivesAReload) {
  const std::string yaml = std::string(kBase) + kSplit;
  load(yaml);
  std::map<std::string, std::string> before;
  for (int u = 0; u < 300; ++u) {
    std::string user = "user-" + std::to_string(u);
    before[user] = upstreamModel(decide("llama-chat", {{"x-user-id", user}}));
  }
  // A reload that re-creates the sticky splitter (another parameter) and one from scratch
  // (a restart): nobody moves.
  std::string changed = yaml;
  changed.replace(changed.find("header: x-user-id"), 17, "header: X-User-Id");
  snapshot_ = build(changed, 2, snapshot_.get());
  for (const auto& [user, target] : before) {
    EXPECT_EQ(upstreamModel(decide("llama-chat", {{"x-user-id", user}})), target) << user;
  }
  snapshot_ = build(yaml, 3);
  int toV2 = 0;
  for (const auto& [user, target] : before) {
    EXPECT_EQ(upstreamModel(decide("llama-chat", {{"x-user-id", user}})), target) << user;
    toV2 += target == "llama-v2";
  }
  EXPECT_NEAR(toV2, 150, 40);
}

TEST_F(RoutingPipelineTest, UpstreamBodyCarriesTheTargetAndTheResponseTheClientsName) {
  load(std::string(kBase) + kSplit);
  RoutingDecision d = decide("llama", {{"x-gateway-model-name-rewrite", "llama-v2"}}, true);
  ASSERT_EQ(d.httpStatus, 0) << d.errorMessage;
  EXPECT_EQ(upstreamBody(d),
            R"({"messages":[{"role":"user","content":"hi"}],"model":"llama-v2","stream":true})");
  // The response path: SSE chunks cut through the pattern, rewritten back.
  extproc::HeaderList set;
  d.observer->onResponseHeaders({{":status", "200"}, {"content-type", "text/event-stream"}}, set);
  std::vector<std::string> chunks = {R"(data: {"id":"1","model":"llama-v2","choices":[]})"
                                     "\n\ndata: {\"id\":\"2\",\"mo",
                                     R"(del":"llama-)",
                                     R"(v2","choices":[]})"
                                     "\n\ndata: [DONE]\n\n"};
  std::string out;
  for (size_t i = 0; i < chunks.size(); ++i) {
    d.observer->onResponseBody(chunks[i], i + 1 == chunks.size());
    out += chunks[i];
  }
  d.observer->onComplete(true);
  EXPECT_EQ(out,
            "data: {\"id\":\"1\",\"model\":\"llama\",\"choices\":[]}\n\n"
            "data: {\"id\":\"2\",\"model\":\"llama\",\"choices\":[]}\n\ndata: [DONE]\n\n");
  auto record = log_.last(1).at(0);
  ASSERT_TRUE(record.routing);
  EXPECT_EQ(record.model, "llama");
  EXPECT_EQ(record.targetModel, "llama-v2");
  EXPECT_TRUE(record.routing->fromRewriteHeader);
  EXPECT_EQ(record.routing->resolvedModel, "llama-v2");
  EXPECT_EQ(record.routing->resolvedBy, "exact");
  EXPECT_TRUE(record.routing->rule.empty()) << "the header names a served model directly";
}

TEST_F(RoutingPipelineTest, UnrewrittenRequestsKeepTheirBody) {
  load(std::string(kBase) + kSplit);
  RoutingDecision d = decide("llama-v1");
  ASSERT_EQ(d.httpStatus, 0);
  EXPECT_EQ(upstreamBody(d), R"({"messages":[{"role":"user","content":"hi"}],"model":"llama-v1"})");
  EXPECT_EQ(log_.last(1).at(0).routing->targetModel, "llama-v1");
  EXPECT_EQ(decide("mistral").httpStatus, 404);
}

TEST_F(RoutingPipelineTest, LoraFallbackRoutesToTheBaseModelOr503) {
  load(std::string(kBase) + kSplit);
  // Every endpoint's one adapter slot holds other-lora.
  RoutingDecision fallback = decide("sql-lora");
  ASSERT_EQ(fallback.httpStatus, 0) << fallback.errorMessage;
  EXPECT_EQ(upstreamModel(fallback), "base");
  EXPECT_EQ(log_.last(1).at(0).routing->loraFallback, "base-model");
  RoutingDecision strict = decide("strict-lora");
  EXPECT_EQ(strict.httpStatus, 503);
  EXPECT_EQ(strict.errorCode, "ServiceUnavailable");
  EXPECT_THAT(strict.errorMessage, HasSubstr("strict-lora is loaded on no endpoint"));
  // Once an endpoint holds it, the adapter is served as asked.
  store_.update([](std::vector<datalayer::EndpointState>& states) {
    states[1].activeLoras = {"sql-lora"};
    return true;
  });
  RoutingDecision served = decide("sql-lora");
  ASSERT_EQ(served.httpStatus, 0);
  EXPECT_EQ(upstreamModel(served), "sql-lora");
  EXPECT_TRUE(log_.last(1).at(0).routing->loraFallback.empty());
}

}  // namespace
}  // namespace epp::runtime

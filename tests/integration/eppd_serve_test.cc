// The real eppd binary, started as a child process, driven over real sockets by a client
// that speaks ext_proc as Envoy does; endpoint state set through the admin API; outcomes
// checked on the wire, in /decisions and in /metrics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/health_client.h"

namespace epp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kHeader[] =
    "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
    "kind: EndpointPickerConfig\n";

// The reference default profile (queue 2, kv 2, prefix 3, max-score) on three endpoints.
const std::string kDefaultConfig = std::string(kHeader) + R"(
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
routing:
  models: [llama, qwen]
endpoints:
- {address: 10.1.0.1, port: 8000, scrape: false}
- {address: 10.1.0.2, port: 8000, scrape: false}
- {address: 10.1.0.3, port: 8000, scrape: false}
)";

std::string chat(const std::string& content, const std::string& model = "llama",
                 bool stream = false) {
  nlohmann::json body = {{"model", model},
                         {"messages", {{{"role", "user"}, {"content", content}}}}};
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body.dump();
}

class EppdServeTest : public ::testing::Test {
 protected:
  void start(const std::string& config) {
    eppd_ = std::make_unique<EppdProcess>(config);
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }
  void state(const std::string& endpoint, int waiting, double kv = 0.1) {
    std::string body = R"({"endpoint":")" + endpoint + R"(","waiting":)" + std::to_string(waiting) +
                       R"(,"kvCacheUsage":)" + std::to_string(kv) + "}";
    ASSERT_EQ(eppd_->setEndpointState(body), 200);
  }
  nlohmann::json lastDecision() {
    auto r = httpRequest(eppd_->adminPort(), "GET", "/decisions?n=1");
    auto doc = nlohmann::json::parse(r.body);
    return doc["decisions"].at(0);
  }
  RequestResult post(const std::string& body, const std::string& path = "/v1/chat/completions") {
    RequestSpec spec;
    spec.path = path;
    spec.body = body;
    return client_->process(spec);
  }

  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
};

TEST_F(EppdServeTest, ChatAndCompletionsAreRoutedToTheLeastLoadedEndpoint) {
  start(kDefaultConfig);
  state("10.1.0.1:8000", 9, 0.8);
  state("10.1.0.2:8000", 0, 0.1);
  state("10.1.0.3:8000", 4, 0.5);
  RequestResult r = post(chat("hello"));
  EXPECT_TRUE(r.violations.empty()) << ::testing::PrintToString(r.violations);
  ASSERT_TRUE(r.routed) << r.immediateBody;
  EXPECT_EQ(r.destination, "10.1.0.2:8000");
  EXPECT_EQ(r.metadataDestination, r.destination);
  EXPECT_TRUE(r.clearRouteCache);
  EXPECT_EQ(r.upstreamBody, chat("hello"));

  RequestResult c = post(R"({"model":"qwen","prompt":"Once upon a time"})", "/v1/completions");
  EXPECT_TRUE(c.violations.empty()) << ::testing::PrintToString(c.violations);
  EXPECT_EQ(c.destination, "10.1.0.2:8000");
  EXPECT_EQ(lastDecision()["model"], "qwen");
}

TEST_F(EppdServeTest, LongPromptInEnvoyChunksComesBackByteExactInBoundedChunks) {
  start(kDefaultConfig);
  std::string body = chat(std::string(300 * 1024, 'p'));
  RequestSpec spec;
  spec.body = body;
  spec.chunkBytes = 64 * 1024;
  RequestResult r = client_->process(spec);
  EXPECT_TRUE(r.violations.empty()) << ::testing::PrintToString(r.violations);
  ASSERT_TRUE(r.routed) << r.immediateBody;
  EXPECT_EQ(r.upstreamBody, body);
  EXPECT_LE(r.maxChunkBytes, 62000u);
  EXPECT_GE(r.bodyChunks, body.size() / 62000);
}

TEST_F(EppdServeTest, SseResponseIsEchoedAndItsUsageCounted) {
  start(kDefaultConfig);
  RequestSpec spec;
  spec.body = chat("count to three", "llama", true);
  ResponseSpec response;
  response.headers = {{"content-type", "text/event-stream"}};
  response.bodyChunks = {
      "data: {\"choices\":[{\"delta\":{\"content\":\"one\"}}]}\n\n",
      "data: {\"choices\":[{\"delta\":{\"content\":\"two three\"}}]}\n\ndata: {\"choices\":[],",
      "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}}\n\n",
      "data: [DONE]\n\n"};
  spec.response = response;
  RequestResult r = client_->process(spec);
  EXPECT_TRUE(r.violations.empty()) << ::testing::PrintToString(r.violations);
  ASSERT_TRUE(r.routed);
  EXPECT_TRUE(r.responseHeadersReplied);
  EXPECT_EQ(r.echoedResponseChunks, response.bodyChunks);
  // Usage parsed from the SSE stream, split across chunks.
  std::string labels = R"({model_name="llama",target_model_name="llama"})";
  EXPECT_DOUBLE_EQ(
      eppd_->awaitMetric("inference_objective_request_duration_seconds_count" + labels, 1), 1);
  EXPECT_DOUBLE_EQ(eppd_->metric("inference_objective_output_tokens_sum" + labels), 7);
  EXPECT_DOUBLE_EQ(eppd_->metric("inference_objective_input_tokens_sum" + labels), 11);
}

TEST_F(EppdServeTest, GetWithEndOfStreamHeadersIsAnsweredAtOnce) {
  start(kDefaultConfig);
  RequestSpec spec;
  spec.method = "GET";
  spec.path = "/v1/models";
  spec.headersOnly = true;
  RequestResult r = client_->process(spec);
  EXPECT_TRUE(r.violations.empty()) << ::testing::PrintToString(r.violations);
  ASSERT_TRUE(r.routed);
  EXPECT_THAT(r.destination, StartsWith("10.1.0."));
  EXPECT_EQ(r.bodyChunks, 0u);
}

TEST_F(EppdServeTest, SubsetHintIsHonoured) {
  start(kDefaultConfig);
  state("10.1.0.3:8000", 50, 0.9);  // the worst endpoint, but the only one allowed
  RequestSpec spec;
  spec.body = chat("x");
  spec.subsetHint = std::vector<std::string>{"10.1.0.3:8000"};
  RequestResult r = client_->process(spec);
  EXPECT_EQ(r.destination, "10.1.0.3:8000");
  spec.subsetHint = std::vector<std::string>{};
  RequestResult none = client_->process(spec);
  EXPECT_TRUE(none.immediate);
  EXPECT_EQ(none.immediateStatus, 503);
}

TEST_F(EppdServeTest, EachErrorCodeAsImmediateResponse) {
  start(kDefaultConfig);
  RequestResult bad = post("{\"model\": ");
  EXPECT_EQ(bad.immediateStatus, 400);
  EXPECT_THAT(bad.immediateBody,
              StartsWith("inference error: BadRequest - body is not valid JSON"));
  RequestResult missing = post(R"({"messages":[]})");
  EXPECT_EQ(missing.immediateStatus, 400);
  EXPECT_EQ(missing.immediateBody, "inference error: BadRequest - model is required");
  RequestResult unknown = post(chat("x", "mistral"));
  EXPECT_EQ(unknown.immediateStatus, 404);
  EXPECT_EQ(unknown.immediateBody, "inference error: NotFound - model mistral is not served here");
  for (const char* ep : {"10.1.0.1:8000", "10.1.0.2:8000", "10.1.0.3:8000"}) {
    ASSERT_EQ(eppd_->setEndpointState(std::string(R"({"endpoint":")") + ep +
                                      R"(","health":"unhealthy"})"),
              200);
  }
  RequestResult down = post(chat("x"));
  EXPECT_EQ(down.immediateStatus, 503);
  EXPECT_THAT(down.immediateBody, StartsWith("inference error: ServiceUnavailable - "));
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_objective_request_error_total{error_code="NotFound",)"
                                 R"(model_name="mistral",target_model_name="mistral"})"),
                   1);
  // Errors are explained in /decisions too.
  EXPECT_EQ(lastDecision()["status"], 503);
}

TEST_F(EppdServeTest, NoEndpointForAHeaderOnlyRequestIs500) {
  start(std::string(kHeader) + "plugins: [{type: queue-scorer}]\n");
  RequestSpec spec;
  spec.method = "GET";
  spec.path = "/v1/models";
  spec.headersOnly = true;
  RequestResult r = client_->process(spec);
  EXPECT_EQ(r.immediateStatus, 500);
  EXPECT_THAT(r.immediateBody, StartsWith("inference error: Internal - "));
  // Alive, but not ready: no endpoint is known.
  EXPECT_TRUE(checkHealth(eppd_->healthTarget(), "liveness").serving());
  EXPECT_EQ(checkHealth(eppd_->healthTarget(), "readiness").servingStatus, kNotServing);
}

TEST_F(EppdServeTest, CancelMidBodyThenANormalRequest) {
  start(kDefaultConfig);
  RequestSpec spec;
  spec.body = chat(std::string(256 * 1024, 'c'));
  spec.chunkBytes = 16 * 1024;
  spec.cancelAfterChunks = 3;
  RequestResult cancelled = client_->process(spec);
  EXPECT_TRUE(cancelled.cancelled);
  EXPECT_FALSE(cancelled.routed);
  RequestResult next = post(chat("still here"));
  EXPECT_TRUE(next.routed) << next.immediateBody << eppd_->log();
  EXPECT_DOUBLE_EQ(
      eppd_->awaitMetric(R"(eppd_extproc_streams_total{code="0",result="cancelled"})", 1), 1);
  // Health still answers and eppd stops cleanly.
  EXPECT_TRUE(checkHealth(eppd_->healthTarget(), "readiness").serving());
  EXPECT_EQ(eppd_->stop(), 0);
}

TEST_F(EppdServeTest, SecondRequestSharingALongPrefixGoesToTheSameEndpoint) {
  start(kDefaultConfig);
  std::string system(6000, 's');
  RequestResult first = post(chat(system + " first question"));
  ASSERT_TRUE(first.routed);
  state(first.destination, 2);  // a little busier than the others now
  RequestResult second = post(chat(system + " second question"));
  EXPECT_EQ(second.destination, first.destination);
  // /decisions explains it: on that endpoint the prefix scorer matched every block but the
  // last (the questions differ there), weighted by 3; elsewhere it matched nothing.
  nlohmann::json d = lastDecision();
  EXPECT_EQ(d["pick"], first.destination);
  const auto& scorers = d["profiles"][0]["scorers"];
  bool found = false;
  for (const auto& s : scorers) {
    if (s["plugin"] != "prefix-cache-scorer") continue;
    found = true;
    for (const auto& [endpoint, score] : s["scores"].items()) {
      double raw = score["raw"].get<double>();
      EXPECT_DOUBLE_EQ(score["weighted"].get<double>(), 3 * raw);
      if (endpoint == first.destination) {
        EXPECT_GT(raw, 0.95);
        EXPECT_LT(raw, 1.0);
      } else {
        EXPECT_DOUBLE_EQ(raw, 0.0) << endpoint;
      }
    }
  }
  EXPECT_TRUE(found) << d.dump(2);
}

const std::string kTreeConfig = std::string(kHeader) + R"(
plugins:
- type: low-queue-filter
  parameters: {threshold: 10}
- type: lora-affinity-filter
- type: least-queue-filter
- type: least-kv-cache-filter
- type: random-picker
schedulingProfiles:
- name: default
  plugins: [{pluginRef: random-picker}]
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
- {address: 10.1.0.1, port: 8000, scrape: false}
- {address: 10.1.0.2, port: 8000, scrape: false}
- {address: 10.1.0.3, port: 8000, scrape: false}
)";

std::vector<std::string> steps(const nlohmann::json& decision) {
  std::vector<std::string> out;
  for (const auto& s : decision["profiles"][0]["steps"]) out.push_back(s["step"]);
  return out;
}

TEST_F(EppdServeTest, DecisionTreeTakesBothBranches) {
  start(kTreeConfig);
  state("10.1.0.1:8000", 2, 0.9);
  state("10.1.0.2:8000", 2, 0.2);
  state("10.1.0.3:8000", 40, 0.0);
  EXPECT_EQ(post(chat("x")).destination, "10.1.0.2:8000");
  EXPECT_EQ(steps(lastDecision()),
            (std::vector<std::string>{"low-queue", "affinity", "least-queue", "least-kv"}));

  state("10.1.0.1:8000", 30, 0.1);
  state("10.1.0.2:8000", 20, 0.7);
  state("10.1.0.3:8000", 20, 0.3);
  EXPECT_EQ(post(chat("x")).destination, "10.1.0.3:8000");
  nlohmann::json d = lastDecision();
  EXPECT_EQ(steps(d), (std::vector<std::string>{"low-queue", "fallback-queue", "fallback-affinity",
                                                "least-kv"}));
  EXPECT_EQ(d["profiles"][0]["steps"][0]["result"], false);
}

TEST_F(EppdServeTest, ConfigErrorsCarryLineAndColumn) {
  EppdProcess bad(std::string(kHeader) + "plugins:\n- type: queue-scorer\n  parameterz: {}\n");
  EXPECT_FALSE(bad.started());
  EXPECT_THAT(bad.error(), HasSubstr("config.yaml:5:3"));
  EXPECT_THAT(bad.error(), HasSubstr("parameterz"));
}

}  // namespace
}  // namespace epp::testing

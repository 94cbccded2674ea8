// Model routing through the real eppd binary: a weighted split and the model rewritten
// both ways with a real model server (eppd-sim) answering, a sticky split across a config
// reload, and LoRA fallback to the base model or 503. Requests are played by EnvoyClient;
// what Envoy would send upstream is forwarded to the simulator over HTTP and its answer
// played back through eppd's response path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/sim_process.h"
#include "tests/integration/upstream_http.h"
#include "tests/integration/wait_until.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr char kHeader[] = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: max-score-picker
- type: weighted-splitter
- {name: per-user, type: sticky-splitter, parameters: {header: x-user-id}}
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: queue-scorer}
  - {pluginRef: max-score-picker}
)";

std::string chat(const std::string& model, bool stream = false, const std::string& text = "hi") {
  json body = {{"model", model}, {"messages", {{{"role", "user"}, {"content", text}}}}};
  if (stream) body["stream"] = true;
  body["max_tokens"] = 4;
  return body.dump();
}

// The model a JSON request body names.
std::string modelOf(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  return doc.is_object() && doc.contains("model") ? doc["model"].get<std::string>() : "<none>";
}

// The simulator's answer to what eppd sent upstream, cut into `pieceBytes` body messages
// (small pieces cut through `"model":"…"` somewhere).
std::optional<ResponseSpec> forwardTo(int port, const RequestResult& routed, size_t pieceBytes,
                                      std::string* upstreamModel = nullptr) {
  if (upstreamModel) *upstreamModel = modelOf(routed.upstreamBody);
  return responseOf(postUpstream(port, "/v1/chat/completions", routed.upstreamBody), pieceBytes);
}

std::string joined(const std::vector<std::string>& chunks) {
  std::string out;
  for (const auto& c : chunks) out += c;
  return out;
}

class EppdRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-routing-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void start(const std::string& config) {
    eppd_ = std::make_unique<EppdProcess>(config);
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }
  json lastDecision() {
    return json::parse(httpRequest(eppd_->adminPort(), "GET", "/decisions?n=1").body)["decisions"]
        .at(0);
  }
  uint64_t generation() {
    json c = json::parse(httpRequest(eppd_->adminPort(), "GET", "/config").body, nullptr, false);
    return c.is_object() ? c["generation"].get<uint64_t>() : 0;
  }
  RequestResult send(const std::string& body, HeaderList headers = {}) {
    RequestSpec spec;
    spec.body = body;
    spec.headers = std::move(headers);
    return client_->process(spec);
  }

  fs::path dir_;
  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
};

TEST_F(EppdRoutingTest, WeightedSplitAndTheModelRewrittenBothWaysWithARealServer) {
  // One simulated server answering both versions (the second as an adapter it serves).
  SimProcess sim(dir_, 1,
                 {"--model", "llama-v1", "--lora-modules", "llama-v2", "--max-loras", "1"});
  ASSERT_EQ(sim.ports().size(), 1u) << sim.log();
  const int port = sim.ports()[0];
  start(std::string(kHeader) + R"(
routing:
  models: [llama-v1, llama-v2]
  rules:
  - name: rollout
    model: llama
    splitter: weighted-splitter
    targets: [{model: llama-v1, weight: 70}, {model: llama-v2, weight: 30}]
endpoints:
- {address: 127.0.0.1, port: )" +
        std::to_string(port) + R"(}
scraping: {interval: 50ms}
)");

  // The split, decided by eppd for each request and seen in the body it sends upstream.
  const int n = 10000;
  std::map<std::string, int> upstream;
  Clock::time_point began = Clock::now();
  for (int i = 0; i < n; ++i) {
    RequestResult r = send(chat("llama"));
    ASSERT_TRUE(r.routed) << r.immediateBody;
    ++upstream[modelOf(r.upstreamBody)];
  }
  double seconds = std::chrono::duration<double>(Clock::now() - began).count();
  EXPECT_EQ(upstream["llama-v1"] + upstream["llama-v2"], n);
  EXPECT_NEAR(upstream["llama-v2"] / static_cast<double>(n), 0.30, 0.03);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_extension_model_rewrite_decisions_total{)"
                                 R"(model_name="llama",model_rewrite_name="rollout",)"
                                 R"(target_model="llama-v2"})"),
                   upstream["llama-v2"]);
  std::cout << "[ split   ] " << n << " requests through eppd in " << seconds << " s: llama-v1 "
            << upstream["llama-v1"] << ", llama-v2 " << upstream["llama-v2"]
            << " (weights 70/30)\n";

  // Both ways, with the simulator answering: SSE in 7-byte pieces, and a JSON body in
  // 5-byte pieces, so `"model":"llama-vN"` is cut across response messages.
  for (bool stream : {true, false}) {
    SCOPED_TRACE(stream ? "sse" : "json");
    std::set<std::string> seen;
    for (int i = 0; i < 12 && seen.size() < 2; ++i) {
      RequestSpec spec;
      spec.body = chat("llama", stream, "count " + std::to_string(i));
      std::string sentAs;
      spec.upstream = [&](const RequestResult& routed) {
        return forwardTo(port, routed, stream ? 7 : 5, &sentAs);
      };
      RequestResult r = client_->process(spec);
      EXPECT_TRUE(r.violations.empty()) << ::testing::PrintToString(r.violations);
      ASSERT_TRUE(r.routed);
      ASSERT_TRUE(r.responseHeadersReplied);
      ASSERT_THAT(sentAs, ::testing::AnyOf("llama-v1", "llama-v2"));
      seen.insert(sentAs);
      const std::string client = joined(r.echoedResponseChunks);
      EXPECT_THAT(client, HasSubstr(R"("model":"llama")")) << client;
      EXPECT_THAT(client, ::testing::Not(HasSubstr(R"("model":"llama-v)"))) << client;
      if (stream) {
        EXPECT_THAT(client, HasSubstr("data: [DONE]"));
      } else {
        json doc = json::parse(client, nullptr, false);
        ASSERT_TRUE(doc.is_object()) << client;
        EXPECT_EQ(doc["model"], "llama");
        EXPECT_EQ(doc["object"], "chat.completion");
      }
      json d = lastDecision();
      EXPECT_EQ(d["model"], "llama");
      EXPECT_EQ(d["targetModel"], sentAs);
      EXPECT_EQ(d["routing"]["rule"], "rollout");
      EXPECT_EQ(d["routing"]["splitter"], "weighted-splitter");
      EXPECT_EQ(d["routing"]["splitTarget"], sentAs);
      EXPECT_EQ(d["routing"]["bodyRewritten"], true);
    }
    EXPECT_EQ(seen.size(), 2u) << "both targets answered within 12 requests";
  }
}

TEST_F(EppdRoutingTest, StickySplitIsStableAcrossAConfigReload) {
  const std::string config = std::string(kHeader) + R"(
routing:
  rules:
  - model: chat
    splitter: per-user
    targets: [{model: chat-v1, weight: 50}, {model: chat-v2, weight: 50}]
endpoints:
- {address: 10.2.0.1, port: 8000, scrape: false}
)";
  start(config);
  std::map<std::string, std::string> before;
  for (int u = 0; u < 200; ++u) {
    std::string user = "user-" + std::to_string(u);
    RequestResult r = send(chat("chat"), {{"x-user-id", user}});
    ASSERT_TRUE(r.routed) << r.immediateBody;
    before[user] = modelOf(r.upstreamBody);
  }
  int toV2 = 0;
  for (const auto& [user, model] : before) toV2 += model == "chat-v2";
  EXPECT_NEAR(toV2, 100, 30);

  // A reload that re-creates the splitter instance (its parameters change in writing, not
  // in meaning) and adds a scorer weight.
  std::string reloaded = config;
  reloaded.replace(reloaded.find("header: x-user-id"), 17, "header: X-User-ID");
  reloaded.replace(reloaded.find("{pluginRef: queue-scorer}"), 25,
                   "{pluginRef: queue-scorer, weight: 2}");
  { std::ofstream(eppd_->dir() / "config.yaml.tmp") << reloaded; }
  fs::rename(eppd_->dir() / "config.yaml.tmp", eppd_->dir() / "config.yaml");
  ASSERT_TRUE(waitUntil([&] { return generation() == 2; }, std::chrono::seconds(15)))
      << eppd_->log();
  int moved = 0;
  for (const auto& [user, model] : before) {
    RequestResult r = send(chat("chat"), {{"x-user-id", user}});
    ASSERT_TRUE(r.routed);
    moved += modelOf(r.upstreamBody) != model;
  }
  EXPECT_EQ(moved, 0);
  EXPECT_EQ(lastDecision()["configGeneration"], 2);
  EXPECT_EQ(lastDecision()["routing"]["splitter"], "per-user");
}

TEST_F(EppdRoutingTest, LoraFallbackGoesToTheBaseModelOrIs503) {
  start(std::string(kHeader) + R"(
routing:
  models:
  - base
  - {name: sql-lora, baseModel: base}
  - {name: strict-lora, baseModel: base, loraFallback: false}
endpoints:
- {address: 10.3.0.1, port: 8000, scrape: false}
- {address: 10.3.0.2, port: 8000, scrape: false}
)");
  // Both endpoints' only adapter slot is taken by another adapter.
  for (const char* ep : {"10.3.0.1:8000", "10.3.0.2:8000"}) {
    ASSERT_EQ(eppd_->setEndpointState(std::string(R"({"endpoint":")") + ep +
                                      R"(","activeLoras":["other"],"maxLoras":1})"),
              200);
  }
  RequestResult fallback = send(chat("sql-lora"));
  ASSERT_TRUE(fallback.routed) << fallback.immediateBody;
  EXPECT_EQ(modelOf(fallback.upstreamBody), "base");
  ASSERT_NE(fallback.setHeader("content-length"), nullptr);
  EXPECT_EQ(*fallback.setHeader("content-length"), std::to_string(fallback.upstreamBody.size()));
  json d = lastDecision();
  EXPECT_EQ(d["routing"]["loraFallback"], "base-model");
  EXPECT_EQ(d["targetModel"], "base");

  RequestResult strict = send(chat("strict-lora"));
  ASSERT_TRUE(strict.immediate);
  EXPECT_EQ(strict.immediateStatus, 503);
  EXPECT_EQ(strict.immediateBody,
            "inference error: ServiceUnavailable - LoRA adapter strict-lora is loaded on no "
            "endpoint and no endpoint has a free adapter slot (loraFallback is off)");
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_lora_fallback_total{base_model="base",)"
                                 R"(model_name="sql-lora",outcome="base-model"})"),
                   1);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_lora_fallback_total{base_model="base",)"
                                 R"(model_name="strict-lora",outcome="rejected"})"),
                   1);

  // Once an endpoint has loaded the adapter, it is served as asked, body untouched.
  ASSERT_EQ(eppd_->setEndpointState(
                R"({"endpoint":"10.3.0.2:8000","activeLoras":["sql-lora"],"maxLoras":1})"),
            200);
  RequestResult served = send(chat("sql-lora"));
  ASSERT_TRUE(served.routed);
  EXPECT_EQ(served.upstreamBody, chat("sql-lora"));
  EXPECT_EQ(lastDecision()["routing"].value("loraFallback", ""), "");
}

TEST_F(EppdRoutingTest, ModelNameHeadersAreSetUpstreamWhenConfigured) {
  const std::string routing = R"(
routing:
  modelNameHeader: true
  models:
  - base
  - {name: sql-lora, baseModel: base}
endpoints:
- {address: 10.3.0.1, port: 8000, scrape: false}
)";
  start(std::string(kHeader) + routing);
  ASSERT_EQ(eppd_->setEndpointState(
                R"({"endpoint":"10.3.0.1:8000","activeLoras":["sql-lora"],"maxLoras":2})"),
            200);
  RequestResult base = send(chat("base"), {{"x-gateway-model-name", "spoofed"}});
  ASSERT_TRUE(base.routed) << base.immediateBody;
  ASSERT_NE(base.setHeader("x-gateway-model-name"), nullptr);
  EXPECT_EQ(*base.setHeader("x-gateway-model-name"), "base");
  EXPECT_EQ(base.setHeader("x-gateway-base-model-name"), nullptr);

  RequestResult lora = send(chat("sql-lora"));
  ASSERT_TRUE(lora.routed) << lora.immediateBody;
  ASSERT_NE(lora.setHeader("x-gateway-model-name"), nullptr);
  EXPECT_EQ(*lora.setHeader("x-gateway-model-name"), "sql-lora");
  ASSERT_NE(lora.setHeader("x-gateway-base-model-name"), nullptr);
  EXPECT_EQ(*lora.setHeader("x-gateway-base-model-name"), "base");
  EXPECT_EQ(lastDecision()["routing"]["baseModel"], "base");
}

TEST_F(EppdRoutingTest, ModelNameHeadersAreOffByDefault) {
  start(std::string(kHeader) + "endpoints:\n- {address: 10.3.0.1, port: 8000, scrape: false}\n");
  RequestResult r = send(chat("base"));
  ASSERT_TRUE(r.routed) << r.immediateBody;
  EXPECT_EQ(r.setHeader("x-gateway-model-name"), nullptr);
}

}  // namespace
}  // namespace epp::testing

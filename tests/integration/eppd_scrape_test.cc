// The real eppd binary scraping real HTTP servers that serve vLLM-format /metrics: the
// scraped queue, batch and KV values show in /endpoints within a deadline, the
// queue-scorer routes on them as they change, and a server that dies is marked unhealthy,
// counted, and left out of decisions, while `scrape: false` and hand-set endpoints keep
// the state they were given.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/support/metrics_http_server.h"
#include "tests/support/test_pki.h"

namespace epp::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string vllmMetrics(int waiting, int running, double kv) {
  return "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
         "# TYPE vllm:num_requests_waiting gauge\n"
         "vllm:num_requests_waiting{engine=\"0\",model_name=\"llama\"} " +
         std::to_string(waiting) +
         ".0\n"
         "# TYPE vllm:num_requests_running gauge\n"
         "vllm:num_requests_running{engine=\"0\",model_name=\"llama\"} " +
         std::to_string(running) +
         ".0\n"
         "# TYPE vllm:kv_cache_usage_perc gauge\n"
         "vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"llama\"} " +
         std::to_string(kv) +
         "\n"
         "vllm:cache_config_info{block_size=\"16\",engine=\"0\",num_gpu_blocks=\"74272\"} 1.0\n";
}

class EppdScrapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    servers_[0].setMetrics(vllmMetrics(6, 2, 0.5));
    servers_[1].setMetrics(vllmMetrics(0, 1, 0.25));
    servers_[2].setMetrics(vllmMetrics(9, 4, 0.75));
    std::string config =
        "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
        "kind: EndpointPickerConfig\n"
        "plugins:\n"
        "- {type: metrics-data-source, parameters: {scheme: http, path: /metrics}}\n"
        "- {type: core-metrics-extractor, parameters: {defaultEngine: vllm}}\n"
        "- type: queue-scorer\n"
        "- type: max-score-picker\n"
        "schedulingProfiles:\n"
        "- name: default\n"
        "  plugins: [{pluginRef: queue-scorer}, {pluginRef: max-score-picker}]\n"
        "dataLayer:\n"
        "  sources:\n"
        "  - pluginRef: metrics-data-source\n"
        "    extractors: [{pluginRef: core-metrics-extractor}]\n"
        "scraping: {interval: 20ms, timeout: 500ms, healthInterval: 200ms, failureThreshold: 2}\n"
        "endpoints:\n";
    for (const auto& s : servers_) {
      config += "- {address: 127.0.0.1, port: " + std::to_string(s.port()) + "}\n";
    }
    // Nothing listens there: not scraped, so it stays as configured (healthy, no metrics).
    config += "- {address: 127.0.0.1, port: 1, scrape: false}\n";
    eppd_ = std::make_unique<EppdProcess>(config);
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }

  nlohmann::json endpointJson(const std::string& hostPort) {
    auto doc = nlohmann::json::parse(httpRequest(eppd_->adminPort(), "GET", "/endpoints").body);
    for (const auto& e : doc["endpoints"]) {
      if (e["endpoint"] == hostPort) return e;
    }
    return nullptr;
  }

  // Polls /endpoints until `ready` holds for `hostPort`; fails after 10 s.
  nlohmann::json waitFor(const std::string& hostPort,
                         const std::function<bool(const nlohmann::json&)>& ready) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    nlohmann::json e;
    while (Clock::now() < deadline) {
      e = endpointJson(hostPort);
      if (!e.is_null() && ready(e)) return e;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "not within 10 s for " << hostPort << ": " << e.dump();
    return e;
  }

  static bool waitingIs(const nlohmann::json& e, int waiting) {
    return !e["metrics"].is_null() && e["metrics"]["waiting"] == waiting;
  }

  std::string route() {
    RequestSpec spec;
    spec.body = R"({"model":"llama","messages":[{"role":"user","content":"hi"}]})";
    RequestResult r = client_->process(spec);
    return r.routed ? r.destination : "not routed: " + r.immediateBody;
  }

  MetricsHttpServer servers_[3];
  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
};

TEST_F(EppdScrapeTest, ScrapedStateIsShownAndRoutedOn) {
  nlohmann::json a = waitFor(servers_[0].hostPort(), [](const auto& e) { return waitingIs(e, 6); });
  EXPECT_EQ(a["metrics"]["running"], 2);
  EXPECT_EQ(a["metrics"]["kvCacheUsage"], 0.5);
  EXPECT_EQ(a["metrics"]["cacheBlockSize"], 16);
  EXPECT_EQ(a["metrics"]["cacheNumBlocks"], 74272);
  EXPECT_EQ(a["engineLabels"]["model_name"], "llama");
  EXPECT_EQ(a["health"], "healthy");
  EXPECT_EQ(a["scrape"]["enabled"], true);
  EXPECT_EQ(a["scrape"]["lastError"], nullptr);
  EXPECT_LT(a["metrics"]["ageMs"].get<int>(), 2000);
  waitFor(servers_[1].hostPort(), [](const auto& e) { return waitingIs(e, 0); });
  waitFor(servers_[2].hostPort(), [](const auto& e) { return waitingIs(e, 9); });
  nlohmann::json off = endpointJson("127.0.0.1:1");
  EXPECT_EQ(off["scrape"]["enabled"], false);
  EXPECT_EQ(off["metrics"], nullptr);
  EXPECT_EQ(off["health"], "healthy");

  // The hand-set endpoint claims an empty queue: make it lose on purpose, then check the
  // queue-scorer picks the shortest scraped queue.
  ASSERT_EQ(eppd_->setEndpointState(R"({"endpoint":"127.0.0.1:1","waiting":50})"), 200);
  EXPECT_EQ(route(), servers_[1].hostPort());

  // The queues change on the servers; eppd follows.
  servers_[1].setMetrics(vllmMetrics(12, 1, 0.25));
  servers_[2].setMetrics(vllmMetrics(1, 1, 0.25));
  waitFor(servers_[1].hostPort(), [](const auto& e) { return waitingIs(e, 12); });
  waitFor(servers_[2].hostPort(), [](const auto& e) { return waitingIs(e, 1); });
  EXPECT_EQ(route(), servers_[2].hostPort());
  EXPECT_GE(eppd_->metric(R"(eppd_endpoint_scrapes_total{endpoint=")" + servers_[0].hostPort() +
                          R"(",pool="default",result="success"})"),
            2);
}

TEST_F(EppdScrapeTest, DeadServerIsMarkedCountedAndLeftOut) {
  waitFor(servers_[2].hostPort(), [](const auto& e) { return waitingIs(e, 9); });
  waitFor(servers_[1].hostPort(), [](const auto& e) { return waitingIs(e, 0); });
  ASSERT_EQ(eppd_->setEndpointState(R"({"endpoint":"127.0.0.1:1","waiting":50})"), 200);
  std::string best = servers_[1].hostPort();
  EXPECT_EQ(route(), best);
  servers_[1].stop();
  // Refused or, for a connection caught while the listener closes, unanswered: either
  // way a failed collection (the refused case is pinned down in the scraper's unit test).
  nlohmann::json dead = waitFor(best, [](const auto& e) { return e["health"] == "unhealthy"; });
  EXPECT_TRUE(dead["scrape"]["lastError"].is_string()) << dead.dump();
  EXPECT_GE(dead["scrape"]["consecutiveFailures"].get<int>(), 2);
  EXPECT_GE(eppd_->metric(R"(eppd_endpoint_scrapes_total{endpoint=")" + best +
                          R"(",pool="default",result="failure"})"),
            2);
  // Its last known queue (0) would still win; it is out of the candidate set instead.
  EXPECT_EQ(route(), servers_[0].hostPort());
}

// `scraping: {scheme: https, caFile}`: eppd verifies the server against the CA and reads
// its metrics over TLS; a CA file that cannot be read stops the config from loading.
TEST(EppdHttpsScrapeTest, MetricsAreReadOverTlsWithTheConfiguredCa) {
  std::string pattern = (std::filesystem::temp_directory_path() / "eppd-tls-XXXXXX").string();
  std::filesystem::path dir = ::mkdtemp(pattern.data());
  TestPki pki = TestPki::create(dir);
  MetricsHttpServer server(pki.serverCert, pki.serverKey);
  server.setMetrics(vllmMetrics(5, 2, 0.5));
  const std::string base =
      "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
      "kind: EndpointPickerConfig\n"
      "plugins:\n- type: queue-scorer\n- type: max-score-picker\n"
      "schedulingProfiles:\n- name: default\n"
      "  plugins: [{pluginRef: queue-scorer}, {pluginRef: max-score-picker}]\n"
      "endpoints:\n- {address: 127.0.0.1, port: " +
      std::to_string(server.port()) + "}\n";
  {
    EppdProcess eppd(
        base + "scraping: {interval: 20ms, scheme: https, caFile: " + pki.caCert.string() + "}\n");
    ASSERT_TRUE(eppd.started()) << eppd.error();
    auto deadline = Clock::now() + std::chrono::seconds(5);
    nlohmann::json metrics;
    while (Clock::now() < deadline && metrics.is_null()) {
      auto doc = nlohmann::json::parse(httpRequest(eppd.adminPort(), "GET", "/endpoints").body);
      metrics = doc["endpoints"][0]["metrics"];
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(metrics.is_null()) << eppd.log();
    EXPECT_EQ(metrics["waiting"], 5);
    EXPECT_EQ(metrics["running"], 2);
    EXPECT_EQ(server.failedHandshakes(), 0);
  }
  EppdProcess broken(base + "scraping: {scheme: https, caFile: " + (dir / "none.crt").string() +
                     "}\n");
  EXPECT_FALSE(broken.started());
  EXPECT_THAT(broken.error(),
              ::testing::HasSubstr("scraping over https: CA file " + (dir / "none.crt").string()));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace epp::testing

namespace epp::testing {
namespace {

// engineConfigs (core-metrics-extractor): an entry adds an engine eppd has no adapter for,
// and an entry named after a built-in engine replaces its metric names; both read by
// metric specs with label matchers, custom metrics shown as engine labels.
TEST(EppdEngineConfigsTest, SpecsReadACustomEngineAndReplaceABuiltInOne) {
  MetricsHttpServer custom;
  MetricsHttpServer vllm;
  custom.setMetrics(
      "my_queue{state=\"waiting\"} 7\nmy_queue{state=\"done\"} 100\nmy_running 3\n"
      "my_kv 0.4\nmy_temp{gpu=\"0\"} 61.5\n");
  vllm.setMetrics(vllmMetrics(6, 2, 0.5));
  std::string config =
      "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
      "kind: EndpointPickerConfig\n"
      "plugins:\n"
      "- type: core-metrics-extractor\n"
      "  parameters:\n"
      "    engineConfigs:\n"
      "    - name: my-engine\n"
      "      queuedRequestsSpec: my_queue{state=waiting}\n"
      "      runningRequestsSpec: my_running\n"
      "      kvUsageSpec: my_kv\n"
      "      healthPath: ''\n"
      "      customMetrics: [{attributeKey: my.temp, metricSpec: 'my_temp{gpu=\"0\"}'}]\n"
      "    - {name: vllm, queuedRequestsSpec: 'vllm:num_requests_running', runningRequestsSpec: "
      "''}\n"
      "- type: queue-scorer\n"
      "- type: max-score-picker\n"
      "schedulingProfiles:\n"
      "- name: default\n"
      "  plugins: [{pluginRef: queue-scorer}, {pluginRef: max-score-picker}]\n"
      "scraping: {interval: 20ms, timeout: 500ms}\n"
      "endpoints:\n"
      "- {address: 127.0.0.1, port: " +
      std::to_string(custom.port()) +
      ", engine: my-engine}\n"
      "- {address: 127.0.0.1, port: " +
      std::to_string(vllm.port()) + "}\n";
  EppdProcess eppd(config);
  ASSERT_TRUE(eppd.started()) << eppd.error();
  auto find = [&](const std::string& hostPort) {
    auto doc = nlohmann::json::parse(httpRequest(eppd.adminPort(), "GET", "/endpoints").body);
    for (const auto& e : doc["endpoints"]) {
      if (e["endpoint"] == hostPort) return e;
    }
    return nlohmann::json();
  };
  auto deadline = Clock::now() + std::chrono::seconds(10);
  nlohmann::json a, b;
  while (Clock::now() < deadline) {
    a = find(custom.hostPort());
    b = find(vllm.hostPort());
    if (!a["metrics"].is_null() && !b["metrics"].is_null()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(a["metrics"].is_null()) << a.dump();
  EXPECT_EQ(a["metrics"]["waiting"], 7);
  EXPECT_EQ(a["metrics"]["running"], 3);
  EXPECT_EQ(a["metrics"]["kvCacheUsage"], 0.4);
  EXPECT_EQ(a["engineLabels"]["my.temp"], "61.5");
  ASSERT_FALSE(b["metrics"].is_null()) << b.dump();
  // The replaced vllm config reads the batch as the queue; the fields it disables or leaves
  // out are never reported (they keep their initial 0), though the page has them.
  EXPECT_EQ(b["metrics"]["waiting"], 2);
  EXPECT_EQ(b["metrics"]["running"], 0);
  EXPECT_EQ(b["metrics"]["kvCacheUsage"], 0);
  EXPECT_EQ(b["health"], "healthy");  // the built-in vllm health probe still runs
}

}  // namespace
}  // namespace epp::testing

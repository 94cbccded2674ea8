// eppd in front of real eppd-sim processes: what scraping does when a model server dies and
// comes back. Requests are played by EnvoyClient; the simulators are separate processes so
// one can be killed (SIGKILL, as a crash) and restarted on its port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/sim_process.h"
#include "tests/integration/wait_until.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr char kConfig[] = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: queue-scorer, weight: 1}
  - {pluginRef: kv-cache-utilization-scorer, weight: 1}
  - {pluginRef: max-score-picker}
scraping: {interval: 20ms, timeout: 200ms, failureThreshold: 3}
)";

class EppdFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-fleet-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // hostPort -> health ("healthy", …) and whether metrics were read.
  std::map<std::string, json> endpoints() const {
    json all = json::parse(httpRequest(eppd_->adminPort(), "GET", "/endpoints").body);
    std::map<std::string, json> out;
    for (const auto& e : all["endpoints"]) out[e["endpoint"].get<std::string>()] = e;
    return out;
  }
  std::map<std::string, int> route(EnvoyClient& client, int n) {
    std::map<std::string, int> picks;
    for (int i = 0; i < n; ++i) {
      RequestSpec spec;
      spec.body = json{{"model", "sim-model"},
                       {"messages", {{{"role", "user"}, {"content", "q" + std::to_string(i)}}}}}
                      .dump();
      RequestResult r = client.process(spec);
      ++picks[r.routed ? r.destination : "status " + std::to_string(r.immediateStatus)];
    }
    return picks;
  }
  fs::path dir_;
  std::unique_ptr<EppdProcess> eppd_;
};

TEST_F(EppdFleetTest, AKilledServerLeavesDecisionsAndARestartedOneComesBack) {
  auto a = std::make_unique<SimProcess>(dir_, 1);
  SimProcess b(dir_, 1);
  ASSERT_EQ(a->ports().size(), 1u) << a->log();
  ASSERT_EQ(b.ports().size(), 1u) << b.log();
  const int portA = a->ports()[0];
  const std::string hostA = "127.0.0.1:" + std::to_string(portA);
  const std::string hostB = "127.0.0.1:" + std::to_string(b.ports()[0]);
  eppd_ = std::make_unique<EppdProcess>(
      kConfig, std::vector<std::string>{"--endpoint", hostA, "--endpoint", hostB});
  ASSERT_TRUE(eppd_->started()) << eppd_->error();
  auto healthy = [&](const std::string& host) {
    json e = endpoints()[host];
    return e["health"] == "healthy" && !e["metrics"].is_null();
  };
  ASSERT_TRUE(waitUntil([&] { return healthy(hostA) && healthy(hostB); }, std::chrono::seconds(5)))
      << httpRequest(eppd_->adminPort(), "GET", "/endpoints").body;
  const std::string readyPods = R"(inference_pool_ready_pods{name="default"})";
  EXPECT_DOUBLE_EQ(eppd_->awaitMetric(readyPods, 2), 2);
  EnvoyClient client(eppd_->extprocTarget());
  std::map<std::string, int> both = route(client, 30);
  EXPECT_GT(both[hostA], 0);
  EXPECT_GT(both[hostB], 0);

  // A crash: within a few failed scrapes (3 × 20 ms, plus timeouts) A is out.
  Clock::time_point killed = Clock::now();
  a->kill();
  ASSERT_TRUE(waitUntil([&] { return endpoints()[hostA]["health"] == "unhealthy"; },
                        std::chrono::seconds(3)))
      << endpoints()[hostA].dump(2);
  double outAfterMs = std::chrono::duration<double, std::milli>(Clock::now() - killed).count();
  EXPECT_LT(outAfterMs, 2000);  // the staleness window (scraping.stalenessThreshold 2s)
  std::map<std::string, int> onlyB = route(client, 20);
  EXPECT_EQ(onlyB, (std::map<std::string, int>{{hostB, 20}}));
  EXPECT_DOUBLE_EQ(eppd_->awaitMetric(readyPods, 1), 1);
  EXPECT_GE(eppd_->metric(R"(eppd_endpoint_scrape_failures_total{endpoint=")" + hostA +
                          R"(",pool="default",reason="connect"})"),
            3);

  // Restarted on the same port: back in the candidates once scraped again.
  a = std::make_unique<SimProcess>(dir_, 1, std::vector<std::string>{}, portA);
  ASSERT_EQ(a->ports(), std::vector<int>{portA}) << a->log();
  ASSERT_TRUE(waitUntil([&] { return healthy(hostA); }, std::chrono::seconds(3)))
      << endpoints()[hostA].dump(2);
  EXPECT_DOUBLE_EQ(eppd_->awaitMetric(readyPods, 2), 2);
  std::map<std::string, int> again = route(client, 30);
  EXPECT_GT(again[hostA], 0);
  EXPECT_GT(again[hostB], 0);
  std::cout << "[ fleet   ] killed server out of decisions after " << outAfterMs << " ms\n";
}

// engine: auto: the adapter is chosen by what /v1/models says (`owned_by`); an engine no
// adapter recognises is a failed collection that says so.
TEST_F(EppdFleetTest, EngineAutoIsDetectedFromModelsOwnedBy) {
  SimProcess vllm(dir_, 1, {"--dialect", "vllm"});
  SimProcess sglang(dir_, 1, {"--dialect", "sglang-legacy", "--num-gpu-blocks", "2222"});
  SimProcess tgi(dir_, 1, {"--dialect", "tgi"});
  ASSERT_EQ(vllm.ports().size() + sglang.ports().size() + tgi.ports().size(), 3u);
  std::string config = kConfig;
  config += "endpoints:\n";
  for (const SimProcess* sim : {&vllm, &sglang, &tgi}) {
    config +=
        "- {address: 127.0.0.1, port: " + std::to_string(sim->ports()[0]) + ", engine: auto}\n";
  }
  eppd_ = std::make_unique<EppdProcess>(config);
  ASSERT_TRUE(eppd_->started()) << eppd_->error();
  auto host = [](const SimProcess& sim) { return "127.0.0.1:" + std::to_string(sim.ports()[0]); };
  ASSERT_TRUE(waitUntil(
      [&] {
        auto eps = endpoints();
        return !eps[host(vllm)]["metrics"].is_null() && !eps[host(sglang)]["metrics"].is_null() &&
               !eps[host(tgi)]["scrape"]["lastError"].is_null();
      },
      std::chrono::seconds(5)))
      << httpRequest(eppd_->adminPort(), "GET", "/endpoints").body;
  auto eps = endpoints();
  EXPECT_EQ(eps[host(vllm)]["scrape"]["detectedEngine"], "vllm");
  EXPECT_EQ(eps[host(sglang)]["scrape"]["detectedEngine"], "sglang");
  EXPECT_EQ(eps[host(sglang)]["metrics"]["cacheNumBlocks"], 2222);
  EXPECT_TRUE(eps[host(tgi)]["scrape"]["detectedEngine"].is_null());
  EXPECT_THAT(eps[host(tgi)]["scrape"]["lastError"].get<std::string>(),
              ::testing::HasSubstr("no backend adapter recognises"));
  EXPECT_GE(eppd_->metric(R"(eppd_endpoint_scrape_failures_total{endpoint=")" + host(tgi) +
                          R"(",pool="default",reason="detect"})"),
            1);
}

// One simulator per engine dialect, scraped through that engine's adapter: eppd sees its
// state, its health, and routes to it. `numBlocks` is checked where the dialect reports the
// cache geometry.
struct Dialect {
  const char* simDialect;
  const char* engine;
  bool reportsBlocks;
};

class EppdDialectTest : public EppdFleetTest, public ::testing::WithParamInterface<Dialect> {};

TEST_P(EppdDialectTest, ASimulatorInEachDialectIsScrapedAndRoutedTo) {
  const Dialect& d = GetParam();
  SimProcess sim(dir_, 1, {"--dialect", d.simDialect, "--num-gpu-blocks", "4321"});
  ASSERT_EQ(sim.ports().size(), 1u) << sim.log();
  const std::string host = "127.0.0.1:" + std::to_string(sim.ports()[0]);
  std::string config = kConfig;
  config += "endpoints:\n- {address: 127.0.0.1, port: " + std::to_string(sim.ports()[0]) +
            ", engine: " + d.engine + "}\n";
  eppd_ = std::make_unique<EppdProcess>(config);
  ASSERT_TRUE(eppd_->started()) << eppd_->error();
  ASSERT_TRUE(waitUntil(
      [&] {
        json e = endpoints()[host];
        return e["health"] == "healthy" && !e["metrics"].is_null();
      },
      std::chrono::seconds(5)))
      << endpoints()[host].dump(2);
  json e = endpoints()[host];
  EXPECT_EQ(e["engine"], d.engine);
  EXPECT_TRUE(e["scrape"]["lastError"].is_null()) << e.dump(2);
  EXPECT_EQ(e["metrics"]["waiting"], 0);
  if (d.reportsBlocks) {
    EXPECT_EQ(e["metrics"]["cacheNumBlocks"], 4321) << e.dump(2);
  }
  EnvoyClient client(eppd_->extprocTarget());
  EXPECT_EQ(route(client, 3), (std::map<std::string, int>{{host, 3}}));
}

INSTANTIATE_TEST_SUITE_P(Engines, EppdDialectTest,
                         ::testing::Values(Dialect{"vllm", "vllm", true},
                                           Dialect{"sglang", "sglang", false},
                                           Dialect{"sglang-legacy", "sglang", true},
                                           Dialect{"trtllm-serve", "trtllm-serve", true},
                                           Dialect{"triton", "triton-tensorrt-llm", true},
                                           Dialect{"llamacpp", "llamacpp", false},
                                           Dialect{"tgi", "tgi", false}),
                         [](const ::testing::TestParamInfo<Dialect>& param) {
                           std::string name = param.param.simDialect;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace epp::testing

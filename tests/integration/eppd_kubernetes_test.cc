// The kubernetes endpoint source end to end: the real eppd binary watches a fake API server
// (HTTPS, a CA made by the test, a bearer token file) whose pods' IPs are loopback
// addresses where real eppd-sim servers listen on the target port. Requests played by
// EnvoyClient are routed to the pods; a pod that turns not-ready stops receiving traffic
// and comes back when ready again; a deletion missed while the watch was cut (and the
// history compacted) is caught by the re-list after 410 Gone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/sim_process.h"
#include "tests/support/fake_kube_api_server.h"
#include "tests/support/test_pki.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kProfile[] = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
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
scraping: {interval: 20ms, timeout: 200ms}
)";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "eppd-k8sit-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// "source name endpoint health" of every endpoint /endpoints lists, sorted.
std::vector<std::string> listed(const EppdProcess& eppd) {
  auto r = httpRequest(eppd.adminPort(), "GET", "/endpoints");
  std::vector<std::string> out;
  if (r.status != 200) return out;
  json doc = json::parse(r.body);  // named: a temporary would die before the loop runs
  for (const auto& e : doc["endpoints"]) {
    out.push_back(e["source"].get<std::string>() + " " + e["name"].get<std::string>() + " " +
                  e["endpoint"].get<std::string>() + " " + e["health"].get<std::string>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// True once every endpoint /endpoints lists has scraped metrics (before, the scorers see
// nothing of it and a fair spread cannot be expected).
bool allScraped(const EppdProcess& eppd) {
  auto r = httpRequest(eppd.adminPort(), "GET", "/endpoints");
  if (r.status != 200) return false;
  json doc = json::parse(r.body);
  for (const auto& e : doc["endpoints"]) {
    if (e["metrics"].is_null() || e["metrics"]["stale"] == true) return false;
  }
  return true;
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

TEST(EppdKubernetesTest, PodsOfTheApiServerAreRoutedToAndANotReadyPodLeaves) {
  TempDir dir;
  TestPki pki = TestPki::create(dir.path());
  fs::path token = dir.path() / "token";
  std::ofstream(token) << "e2e-token\n";
  FakeKubeApiServer api({pki.serverCert, pki.serverKey, "inference", false, "e2e-token"});

  // Two "pods", each a simulator on its own loopback address and the same target port.
  SimProcess simA(dir.path(), 1, {"--address", "127.0.0.2"});
  ASSERT_EQ(simA.ports().size(), 1u) << simA.log();
  const int port = simA.ports()[0];
  SimProcess simB(dir.path(), 1, {"--address", "127.0.0.3"}, port);
  ASSERT_EQ(simB.ports(), std::vector<int>{port}) << simB.log();
  const std::string hostA = "127.0.0.2:" + std::to_string(port);
  const std::string hostB = "127.0.0.3:" + std::to_string(port);
  std::map<std::string, std::string> labels = {{"app", "sim"},
                                               {"llm-d.ai/role", "decode"},
                                               {"inference.networking.k8s.io/engine-type", "vllm"}};
  api.upsert(FakeKubeApiServer::pod("sim-a", "127.0.0.2", true, labels));
  api.upsert(FakeKubeApiServer::pod("sim-b", "127.0.0.3", true, labels));
  api.upsert(FakeKubeApiServer::pod("starting", "127.0.0.4", false, labels));

  EppdProcess eppd(std::string(kProfile) +
                   "endpointSources:\n- kubernetes:\n    namespace: inference\n"
                   "    labelSelector: {app: sim}\n    targetPorts: [" +
                   std::to_string(port) + "]\n    apiServer: " + api.url() +
                   "\n    tokenFile: " + token.string() + "\n    caFile: " + pki.caCert.string() +
                   "\n    pool: sim-pool\n");
  ASSERT_TRUE(eppd.started()) << eppd.error();
  const std::vector<std::string> both = {"kubernetes sim-a-rank-0 " + hostA + " healthy",
                                         "kubernetes sim-b-rank-0 " + hostB + " healthy"};
  ASSERT_TRUE(FakeKubeApiServer::waitFor([&] { return listed(eppd) == both; }))
      << ::testing::PrintToString(listed(eppd)) << eppd.log();
  EXPECT_EQ(api.requests().front().authorization, "Bearer e2e-token");
  // The pod's labels reach the endpoint: its role, its engine label, the source's pool.
  {
    json doc = json::parse(httpRequest(eppd.adminPort(), "GET", "/endpoints").body);
    ASSERT_EQ(doc["endpoints"].size(), 2u);
    const json& a = doc["endpoints"][0];
    EXPECT_EQ(a["role"], "decode");
    EXPECT_EQ(a["engine"], "vllm");
    EXPECT_EQ(a["pool"], "sim-pool");
    EXPECT_EQ(a["labels"]["app"], "sim");
    EXPECT_EQ(a["labels"]["inference.networking.k8s.io/engine-type"], "vllm");
  }
  ASSERT_TRUE(FakeKubeApiServer::waitFor([&] { return allScraped(eppd); }));
  EXPECT_EQ(eppd.metric(R"(eppd_endpoint_source_endpoints{name="inference/app=sim",)"
                        R"(source="kubernetes"})"),
            2);

  EnvoyClient client(eppd.extprocTarget());
  std::map<std::string, int> spread = route(client, 30);
  EXPECT_GT(spread[hostA], 0) << ::testing::PrintToString(spread);
  EXPECT_GT(spread[hostB], 0) << ::testing::PrintToString(spread);
  EXPECT_EQ(spread[hostA] + spread[hostB], 30) << ::testing::PrintToString(spread);

  // sim-b fails its readiness probe: it leaves, and only sim-a is picked.
  auto notReady = std::chrono::steady_clock::now();
  api.upsert(FakeKubeApiServer::pod("sim-b", "127.0.0.3", false, labels));
  ASSERT_TRUE(FakeKubeApiServer::waitFor([&] {
    return listed(eppd) == std::vector<std::string>{both[0]};
  })) << ::testing::PrintToString(listed(eppd));
  double leftMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - notReady)
          .count();
  EXPECT_EQ(route(client, 20), (std::map<std::string, int>{{hostA, 20}}));

  // Ready again: back in the decisions once scraped.
  api.upsert(FakeKubeApiServer::pod("sim-b", "127.0.0.3", true, labels));
  ASSERT_TRUE(FakeKubeApiServer::waitFor([&] { return listed(eppd) == both; }))
      << ::testing::PrintToString(listed(eppd));
  ASSERT_TRUE(FakeKubeApiServer::waitFor([&] { return allScraped(eppd); }));
  std::map<std::string, int> again = route(client, 30);
  EXPECT_GT(again[hostB], 0) << ::testing::PrintToString(again);

  // The watch connection drops while sim-b is deleted and the server compacts its history:
  // the resumed watch is answered 410 Gone, eppd lists again, and sim-b leaves.
  auto lists = [&] {
    size_t n = 0;
    for (const auto& r : api.requests()) n += r.watch ? 0 : 1;
    return n;
  };
  const size_t listsBefore = lists();
  const size_t watchesBefore = api.watchRequests().size();
  auto gone = std::chrono::steady_clock::now();
  api.removeSilently("sim-b");
  api.compact();
  api.dropWatches();
  ASSERT_TRUE(FakeKubeApiServer::waitFor([&] {
    return listed(eppd) == std::vector<std::string>{both[0]};
  })) << ::testing::PrintToString(listed(eppd))
      << eppd.log();
  double relistMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - gone).count();
  EXPECT_EQ(lists(), listsBefore + 1);
  EXPECT_GT(api.watchRequests().size(), watchesBefore);  // the resumed watch, refused
  EXPECT_EQ(route(client, 20), (std::map<std::string, int>{{hostA, 20}}));
  // The watch after the new list follows events again.
  ASSERT_TRUE(FakeKubeApiServer::waitFor([&] { return api.openWatches() == 1; }));
  api.upsert(FakeKubeApiServer::pod("sim-b", "127.0.0.3", true, labels));
  ASSERT_TRUE(FakeKubeApiServer::waitFor([&] { return listed(eppd) == both; }))
      << ::testing::PrintToString(listed(eppd));
  ASSERT_TRUE(FakeKubeApiServer::waitFor([&] { return allScraped(eppd); }));
  EXPECT_GT(route(client, 30)[hostB], 0);

  EXPECT_EQ(eppd.metric(R"(eppd_endpoint_source_errors_total{name="inference/app=sim",)"
                        R"(source="kubernetes"})"),
            0);
  EXPECT_EQ(eppd.stop(), 0);
  std::cout << "[ k8s     ] a not-ready pod left /endpoints after " << leftMs
            << " ms; a 410 re-list removed a missed deletion after " << relistMs << " ms\n";
}

}  // namespace
}  // namespace epp::testing

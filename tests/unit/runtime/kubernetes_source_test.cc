// The `kubernetes` endpoint source: its config entry, the API objects it reads (Pods,
// EndpointSlices, watch events, list pages), and the source itself against a fake API
// server speaking the real list/watch wire format over TLS with a CA made by the test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "host/common/metrics_registry.h"
#include "host/config/picker_config.h"
#include "host/runtime/endpoint_sources.h"
#include "host/runtime/kubernetes_endpoint_source.h"
#include "host/runtime/kubernetes_objects.h"
#include "tests/support/fake_kube_api_server.h"
#include "tests/support/test_pki.h"

namespace epp::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::ElementsAre;
using testing::FakeKubeApiServer;
using ::testing::HasSubstr;
using testing::TestPki;

constexpr std::string_view kHeader =
    "apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "eppd-kube-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void writeFile(const fs::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

template <class F>
bool eventually(F done, std::chrono::milliseconds timeout = 10s) {
  return FakeKubeApiServer::waitFor(done, timeout);
}

std::string configError(const std::string& body) {
  auto config = config::parseConfig(std::string(kHeader) + body, "eppd.yaml");
  return config ? std::string("(no error)") : config.error();
}

// --- config ---------------------------------------------------------------------------

TEST(KubernetesSourceConfigTest, EveryKeyAndItsDefault) {
  TempDir dir;
  fs::path file = dir.path() / "eppd.yaml";
  writeFile(file, std::string(kHeader) +
                      "endpointSources:\n"
                      "- kubernetes:\n"
                      "    namespace: llm\n"
                      "    labelSelector: {app: vllm, inference.networking.k8s.io/pool: a}\n"
                      "    targetPorts: [8000, 8001]\n"
                      "    pool: gpu\n"
                      "    apiServer: https://10.0.0.1:6443\n"
                      "    tokenFile: secrets/token\n"
                      "    caFile: /etc/ca.crt\n"
                      "    engine: sglang\n"
                      "    scrape: false\n"
                      "- kubernetes: {namespace: other, labelSelector: 'app in (a,b),!canary', "
                      "resource: endpointslices}\n"
                      "- kubernetes: {namespace: proxy, targetPorts: [80], apiServer: "
                      "'http://[::1]:8001'}\n");
  auto config = config::loadConfigFile(file.string());
  ASSERT_TRUE(config) << config.error();
  ASSERT_EQ(config->endpointSources.size(), 3u);
  const auto& a = config->endpointSources[0];
  EXPECT_EQ(a.kind, config::EndpointSourceSpec::Kind::kKubernetes);
  EXPECT_EQ(a.kubernetes.ns, "llm");
  EXPECT_EQ(a.kubernetes.labelSelector, "app=vllm,inference.networking.k8s.io/pool=a");
  EXPECT_THAT(a.kubernetes.targetPorts, ElementsAre(8000u, 8001u));
  EXPECT_EQ(a.kubernetes.resource, config::KubernetesSourceSpec::Resource::kPods);
  EXPECT_TRUE(a.kubernetes.tls);
  EXPECT_EQ(a.kubernetes.apiHost, "10.0.0.1");
  EXPECT_EQ(a.kubernetes.apiPort, 6443u);
  EXPECT_EQ(a.kubernetes.tokenFile, (dir.path() / "secrets/token").string());
  EXPECT_EQ(a.kubernetes.caFile, "/etc/ca.crt");
  EXPECT_EQ(a.attributes.pool, "gpu");
  EXPECT_EQ(a.attributes.engine, "sglang");
  EXPECT_FALSE(a.attributes.scrape);
  EXPECT_EQ(a.key(),
            "kubernetes:https://10.0.0.1:6443/llm/pods?app=vllm,"
            "inference.networking.k8s.io/pool=a");
  EXPECT_EQ(a.metricName(), "llm/app=vllm,inference.networking.k8s.io/pool=a");

  const auto& b = config->endpointSources[1];
  EXPECT_EQ(b.kubernetes.labelSelector, "app in (a,b),!canary");
  EXPECT_EQ(b.kubernetes.resource, config::KubernetesSourceSpec::Resource::kEndpointSlices);
  EXPECT_TRUE(b.kubernetes.targetPorts.empty());
  EXPECT_EQ(b.kubernetes.apiServer, "");  // in the cluster
  EXPECT_EQ(b.kubernetes.tokenFile, "/var/run/secrets/kubernetes.io/serviceaccount/token");
  EXPECT_EQ(b.kubernetes.caFile, "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
  EXPECT_EQ(b.attributes.pool, "default");

  const auto& c = config->endpointSources[2];
  EXPECT_FALSE(c.kubernetes.tls);
  EXPECT_EQ(c.kubernetes.apiHost, "::1");
  EXPECT_EQ(c.kubernetes.apiPort, 8001u);
  EXPECT_EQ(c.kubernetes.tokenFile, "");  // plain HTTP: no token unless written
  EXPECT_FALSE(a.sameAs(c));
  EXPECT_TRUE(a.sameAs(a));
}

TEST(KubernetesSourceConfigTest, MistakesAreReportedWithTheirPlace) {
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {targetPorts: [1]}\n"),
              HasSubstr("eppd.yaml:4:15: endpointSources[0].kubernetes: missing required key "
                        "'namespace'"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a}\n"),
              HasSubstr("missing required key 'targetPorts'"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: []}\n"),
              HasSubstr("targetPorts: list 1 to 8 ports, not 0"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: "
                          "[1,2,3,4,5,6,7,8,9]}\n"),
              HasSubstr("list 1 to 8 ports, not 9"));
  EXPECT_THAT(
      configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: [80, 80]}\n"),
      HasSubstr("eppd.yaml:4:48: endpointSources[0].kubernetes.targetPorts[1]: port 80 is "
                "listed twice"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: [1], "
                          "namespase: b}\n"),
              HasSubstr("eppd.yaml:4:48: endpointSources[0].kubernetes: unknown key "
                        "'namespase' (did you mean 'namespace'?)"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: [1], "
                          "apiServer: 10.0.0.1:443}\n"),
              HasSubstr("'10.0.0.1:443' has no http:// or https:// scheme"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: [1], "
                          "apiServer: 'https://h:99999'}\n"),
              HasSubstr("has a bad port"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: [1], "
                          "apiServer: 'https://h/api'}\n"),
              HasSubstr("must not have a path"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: [1], "
                          "labelSelector: {app: 'a,b'}}\n"),
              HasSubstr("'app: a,b' is not a valid label"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: [1], "
                          "resource: services}\n"),
              HasSubstr("'services' is not pods or endpointslices"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: Bad_NS, targetPorts: "
                          "[1]}\n"),
              HasSubstr("'Bad_NS' is not a namespace name"));
  EXPECT_THAT(configError("endpointSources:\n- kubernetes: {namespace: a, targetPorts: [1]}\n"
                          "- kubernetes: {namespace: a, targetPorts: [2]}\n"),
              HasSubstr("endpoint source kubernetes:a/pods? is listed twice"));
}

// --- API objects ----------------------------------------------------------------------

config::EndpointSourceSpec podSource(std::vector<uint32_t> ports) {
  config::EndpointSourceSpec spec;
  spec.kind = config::EndpointSourceSpec::Kind::kKubernetes;
  spec.kubernetes.ns = "llm";
  spec.kubernetes.targetPorts = std::move(ports);
  spec.attributes.pool = "p";
  spec.attributes.labels = {{"zone", "a"}, {"tier", "source"}};
  return spec;
}

std::vector<std::string> described(const std::vector<config::EndpointSpec>& list) {
  std::vector<std::string> out;
  for (const auto& e : list) {
    out.push_back(
        fmt::format("{} {}:{} {} {} {}", e.name, e.address, e.port, e.engine, e.role, e.pool));
  }
  return out;
}

TEST(KubernetesObjectsTest, OnlyReadyRunningPodsWithAnIpAreEndpoints) {
  auto spec = podSource({8000});
  EXPECT_THAT(described(kube::endpointsOf(spec, FakeKubeApiServer::pod("a", "10.0.0.1", true))),
              ElementsAre("a-rank-0 10.0.0.1:8000 vllm  p"));
  EXPECT_TRUE(kube::endpointsOf(spec, FakeKubeApiServer::pod("a", "10.0.0.1", false)).empty());
  EXPECT_TRUE(kube::endpointsOf(spec, FakeKubeApiServer::pod("a", "", true)).empty());
  EXPECT_TRUE(kube::endpointsOf(spec, FakeKubeApiServer::pod("a", "10.0.0.1", true, {}, "Pending"))
                  .empty());
  json deleting = FakeKubeApiServer::pod("a", "10.0.0.1", true);
  deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  EXPECT_TRUE(kube::endpointsOf(spec, deleting).empty());
  json noConditions = FakeKubeApiServer::pod("a", "10.0.0.1", true);
  noConditions["status"].erase("conditions");
  EXPECT_TRUE(kube::endpointsOf(spec, noConditions).empty());
}

TEST(KubernetesObjectsTest, PodLabelsGiveEngineRoleAndJoinTheSourceLabels) {
  auto spec = podSource({8000, 8001, 8002});
  json pod = FakeKubeApiServer::pod("p", "fd00::7", true,
                                    {{"inference.networking.k8s.io/engine-type", "sglang"},
                                     {"llm-d.ai/role", "decode"},
                                     {"tier", "pod"}});
  auto endpoints = kube::endpointsOf(spec, pod);
  EXPECT_THAT(described(endpoints), ElementsAre("p-rank-0 fd00::7:8000 sglang decode p",
                                                "p-rank-1 fd00::7:8001 sglang decode p",
                                                "p-rank-2 fd00::7:8002 sglang decode p"));
  EXPECT_EQ(endpoints[0].labels.at("zone"), "a");
  EXPECT_EQ(endpoints[0].labels.at("tier"), "pod");  // the pod wins
  EXPECT_EQ(endpoints[0].labels.at("llm-d.ai/role"), "decode");

  // The active-ports annotation narrows the ranks (names keep their target port's index).
  pod["metadata"]["annotations"] = {{"llm-d.ai/active-ports", "8002, 8000,9999,x"}};
  EXPECT_THAT(described(kube::endpointsOf(spec, pod)),
              ElementsAre("p-rank-0 fd00::7:8000 sglang decode p",
                          "p-rank-2 fd00::7:8002 sglang decode p"));
  pod["metadata"]["annotations"] = {{"inference.networking.k8s.io/active-ports", "8001"}};
  EXPECT_THAT(described(kube::endpointsOf(spec, pod)),
              ElementsAre("p-rank-1 fd00::7:8001 sglang decode p"));
}

TEST(KubernetesObjectsTest, EndpointSliceEndpoints) {
  auto spec = podSource({8001, 8000});
  spec.kubernetes.resource = config::KubernetesSourceSpec::Resource::kEndpointSlices;
  json slice = json::parse(R"({
    "kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
    "metadata": {"name": "vllm-abc", "resourceVersion": "5"},
    "addressType": "IPv4",
    "ports": [{"name": "http", "port": 8000, "protocol": "TCP"},
              {"name": "metrics", "port": 9090, "protocol": "TCP"}],
    "endpoints": [
      {"addresses": ["10.0.0.1"], "conditions": {"ready": true},
       "targetRef": {"kind": "Pod", "name": "vllm-0"}},
      {"addresses": ["10.0.0.2"], "conditions": {"ready": false, "terminating": true},
       "targetRef": {"kind": "Pod", "name": "vllm-1"}},
      {"addresses": ["10.0.0.3"], "conditions": {}}
    ]})");
  EXPECT_THAT(
      described(kube::endpointsOf(spec, slice)),
      ElementsAre("vllm-0-rank-1 10.0.0.1:8000 vllm  p", "10.0.0.3-rank-1 10.0.0.3:8000 vllm  p"));
  spec.kubernetes.targetPorts.clear();  // every port of the slice
  EXPECT_EQ(kube::endpointsOf(spec, slice).size(), 4u);
  slice["addressType"] = "FQDN";
  EXPECT_TRUE(kube::endpointsOf(spec, slice).empty());
}

TEST(KubernetesObjectsTest, WatchEventsListPagesAndStatus) {
  auto added = kube::parseWatchEvent(
      R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"7"}}})");
  ASSERT_TRUE(added) << added.error();
  EXPECT_EQ(added->type, kube::WatchEvent::Type::kAdded);
  EXPECT_EQ(added->name, "a");
  EXPECT_EQ(added->resourceVersion, "7");
  auto bookmark = kube::parseWatchEvent(
      R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12"}}})");
  ASSERT_TRUE(bookmark) << bookmark.error();
  EXPECT_EQ(bookmark->resourceVersion, "12");
  auto gone = kube::parseWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired",)"
      R"j("message":"too old resource version: 1 (5)"}})j");
  ASSERT_TRUE(gone) << gone.error();
  EXPECT_EQ(gone->code, 410);
  EXPECT_EQ(gone->message, "too old resource version: 1 (5)");
  EXPECT_EQ(kube::parseWatchEvent("{not json").error(), "a watch event is not a JSON object");
  EXPECT_EQ(kube::parseWatchEvent(R"({"type":"PATCHED","object":{}})").error(),
            "a watch event has type 'PATCHED'");
  EXPECT_EQ(
      kube::parseWatchEvent(R"({"type":"MODIFIED","object":{"metadata":{"name":"a"}}})").error(),
      "a MODIFIED watch event has no resourceVersion");

  auto page = kube::parseListPage(
      R"({"kind":"PodList","metadata":{"resourceVersion":"9","continue":"t"},"items":[{},{}]})",
      "PodList");
  ASSERT_TRUE(page) << page.error();
  EXPECT_EQ(page->resourceVersion, "9");
  EXPECT_EQ(page->continueToken, "t");
  EXPECT_EQ(page->items.size(), 2u);
  EXPECT_EQ(kube::parseListPage(R"({"kind":"Status"})", "PodList").error(),
            "the list answer is a 'Status', not a PodList");
  EXPECT_EQ(kube::statusMessage(
                R"({"kind":"Status","reason":"Forbidden","message":"pods is forbidden"})"),
            "Forbidden: pods is forbidden");
  EXPECT_EQ(kube::statusMessage("<html>\nbad gateway"), "<html> bad gateway");

  auto spec = podSource({8000});
  spec.kubernetes.labelSelector = "app=vllm,tier in (a,b)";
  EXPECT_EQ(kube::listTarget(spec.kubernetes, "", 500),
            "/api/v1/namespaces/llm/pods?limit=500&labelSelector=app%3Dvllm%2Ctier%20in%20%28a%"
            "2Cb%29");
  EXPECT_EQ(kube::watchTarget(spec.kubernetes, "123", 300),
            "/api/v1/namespaces/llm/pods?watch=1&labelSelector=app%3Dvllm%2Ctier%20in%20%28a%"
            "2Cb%29&resourceVersion=123&allowWatchBookmarks=true&timeoutSeconds=300");
}

// --- the source against the fake API server --------------------------------------------

KubernetesTiming fastTiming() {
  KubernetesTiming t;
  t.initialBackoff = 50ms;
  t.maxBackoff = 200ms;
  t.connectTimeout = 5s;
  t.requestTimeout = 5s;
  return t;
}

// A TLS fake server, its CA, and a token file holding its token.
struct Cluster {
  TempDir dir;
  TestPki pki = TestPki::create(dir.path());
  fs::path tokenFile = dir.path() / "token";
  FakeKubeApiServer server{{pki.serverCert, pki.serverKey, "llm", false, "test-token"}};

  Cluster() { writeFile(tokenFile, "test-token\n"); }

  config::EndpointSourceSpec spec(const std::string& selector = "app=vllm",
                                  const std::string& ports = "[8000]",
                                  const std::string& extra = "") {
    auto config = config::parseConfig(
        std::string(kHeader) + "endpointSources:\n- kubernetes: {namespace: llm, labelSelector: '" +
            selector + "', targetPorts: " + ports + ", apiServer: '" + server.url() +
            "', tokenFile: " + tokenFile.string() + ", caFile: " + pki.caCert.string() + extra +
            "}\n",
        "<text>");
    if (!config) {
      ADD_FAILURE() << config.error();
      return {};
    }
    return config->endpointSources.front();
  }
};

// One source on its own io_context thread, recording what it publishes and reports.
class Harness {
 public:
  explicit Harness(config::EndpointSourceSpec spec, KubernetesTiming timing = fastTiming())
      : work_(io_.get_executor()) {
    source_ = std::make_unique<KubernetesEndpointSource>(
        io_, std::move(spec),
        [this](std::vector<config::EndpointSpec> list) {
          std::lock_guard lock(mutex_);
          published_.push_back(described(list));
        },
        [this](const std::string& error) {
          std::lock_guard lock(mutex_);
          errors_.push_back(error);
        },
        [this] {
          std::lock_guard lock(mutex_);
          ++recovered_;
        },
        timing);
    thread_ = std::thread([this] { io_.run(); });
    source_->start();
  }
  ~Harness() {
    source_->stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  KubernetesEndpointSource& source() { return *source_; }
  std::vector<std::string> last() {
    std::lock_guard lock(mutex_);
    return published_.empty() ? std::vector<std::string>{"(nothing)"} : published_.back();
  }
  size_t publishes() {
    std::lock_guard lock(mutex_);
    return published_.size();
  }
  std::vector<std::string> errors() {
    std::lock_guard lock(mutex_);
    return errors_;
  }
  int recovered() {
    std::lock_guard lock(mutex_);
    return recovered_;
  }
  bool awaitLast(const std::vector<std::string>& want) {
    return eventually([&] { return last() == want; });
  }

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<KubernetesEndpointSource> source_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::vector<std::string>> published_;
  std::vector<std::string> errors_;
  int recovered_ = 0;
};

json labelled(const std::string& name, const std::string& ip, bool ready) {
  return FakeKubeApiServer::pod(name, ip, ready, {{"app", "vllm"}});
}

TEST(KubernetesSourceTest, ListThenWatchFollowsEveryEventAndResumesFromTheLastVersion) {
  Cluster cluster;
  auto& server = cluster.server;
  server.upsert(labelled("a", "10.0.0.1", true));
  server.upsert(labelled("b", "10.0.0.2", false));
  server.upsert(FakeKubeApiServer::pod("other", "10.0.0.9", true, {{"app", "else"}}));
  Harness h(cluster.spec());
  ASSERT_TRUE(h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default"}))
      << ::testing::PrintToString(h.last());
  auto first = server.requests().front();
  EXPECT_EQ(first.authorization, "Bearer test-token");
  EXPECT_FALSE(first.watch);
  EXPECT_EQ(first.query["labelSelector"], "app=vllm");
  ASSERT_TRUE(eventually([&] { return server.openWatches() == 1; }));
  auto watch = server.watchRequests().front();
  EXPECT_EQ(watch.query["resourceVersion"], "1003");  // the list's version
  EXPECT_EQ(watch.query["allowWatchBookmarks"], "true");
  EXPECT_EQ(watch.query["labelSelector"], "app=vllm");

  // ADDED, becoming ready (MODIFIED), not ready again, back, DELETED.
  server.upsert(labelled("c", "10.0.0.3", true));
  ASSERT_TRUE(
      h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default", "c-rank-0 10.0.0.3:8000 vllm  default"}))
      << ::testing::PrintToString(h.last());
  server.upsert(labelled("b", "10.0.0.2", true));
  ASSERT_TRUE(
      h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default", "b-rank-0 10.0.0.2:8000 vllm  default",
                   "c-rank-0 10.0.0.3:8000 vllm  default"}))
      << ::testing::PrintToString(h.last());
  server.upsert(labelled("a", "10.0.0.1", false));
  ASSERT_TRUE(
      h.awaitLast({"b-rank-0 10.0.0.2:8000 vllm  default", "c-rank-0 10.0.0.3:8000 vllm  default"}))
      << ::testing::PrintToString(h.last());
  server.upsert(labelled("a", "10.0.0.1", true));
  ASSERT_TRUE(
      h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default", "b-rank-0 10.0.0.2:8000 vllm  default",
                   "c-rank-0 10.0.0.3:8000 vllm  default"}))
      << ::testing::PrintToString(h.last());
  std::string deleted = server.remove("c");
  ASSERT_TRUE(
      h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default", "b-rank-0 10.0.0.2:8000 vllm  default"}))
      << ::testing::PrintToString(h.last());
  EXPECT_EQ(h.source().resourceVersion(), deleted);

  // A bookmark changes no endpoint but advances the version (and publishes nothing).
  size_t publishes = h.publishes();
  std::string bookmark = server.bookmark();
  ASSERT_TRUE(eventually([&] { return h.source().resourceVersion() == bookmark; }));
  EXPECT_EQ(h.publishes(), publishes);

  // The server drops the watch: the next one resumes from the bookmark, with no new list.
  server.dropWatches();
  ASSERT_TRUE(eventually([&] { return server.watchRequests().size() == 2; }));
  EXPECT_EQ(server.watchRequests().back().query["resourceVersion"], bookmark);
  EXPECT_EQ(h.source().lists(), 1u);
  // Events after the resumption still arrive.
  ASSERT_TRUE(eventually([&] { return server.openWatches() == 1; }));
  server.remove("b");
  ASSERT_TRUE(h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default"}))
      << ::testing::PrintToString(h.last());
  EXPECT_TRUE(h.errors().empty()) << ::testing::PrintToString(h.errors());
}

// The server ends a watch when its timeoutSeconds is up (a clean end of the chunked
// stream): the next watch resumes from the last version, with no new list.
TEST(KubernetesSourceTest, AWatchTheServerEndsIsResumedWithoutAList) {
  Cluster cluster;
  auto& server = cluster.server;
  server.upsert(labelled("a", "10.0.0.1", true));
  KubernetesTiming timing = fastTiming();
  timing.watchTimeoutSeconds = 1;
  Harness h(cluster.spec(), timing);
  ASSERT_TRUE(h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default"}));
  ASSERT_TRUE(eventually([&] { return server.openWatches() == 1; }));
  std::string added = server.upsert(labelled("b", "10.0.0.2", true));
  ASSERT_TRUE(h.awaitLast(
      {"a-rank-0 10.0.0.1:8000 vllm  default", "b-rank-0 10.0.0.2:8000 vllm  default"}));
  ASSERT_TRUE(eventually([&] { return server.watchRequests().size() >= 2; }));
  auto watches = server.watchRequests();
  EXPECT_EQ(watches[0].query["timeoutSeconds"], "1");
  EXPECT_EQ(watches[1].query["resourceVersion"], added);
  EXPECT_EQ(h.source().lists(), 1u);
  // Events after the resumption still arrive.
  ASSERT_TRUE(eventually([&] { return server.openWatches() == 1; }));
  server.remove("a");
  ASSERT_TRUE(h.awaitLast({"b-rank-0 10.0.0.2:8000 vllm  default"}));
  EXPECT_EQ(h.source().lists(), 1u);
  EXPECT_TRUE(h.errors().empty()) << ::testing::PrintToString(h.errors());
}

// The server forgot the version the watch resumes from: the source lists again at once
// (no backoff: a 60 s one would fail the test), and the list replaces its state (a pod
// deleted while the watch was away is gone).
void expectRelistAfterGone(FakeKubeApiServer::GoneAs how) {
  Cluster cluster;
  auto& server = cluster.server;
  server.setGoneAs(how);
  server.upsert(labelled("a", "10.0.0.1", true));
  server.upsert(labelled("b", "10.0.0.2", true));
  KubernetesTiming timing = fastTiming();
  timing.initialBackoff = 60s;
  timing.maxBackoff = 60s;
  Harness h(cluster.spec(), timing);
  ASSERT_TRUE(
      h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default", "b-rank-0 10.0.0.2:8000 vllm  default"}))
      << ::testing::PrintToString(h.last());
  ASSERT_TRUE(eventually([&] { return server.openWatches() == 1; }));

  server.removeSilently("a");  // missed by the watch...
  server.upsert(labelled("c", "10.0.0.3", true));
  ASSERT_TRUE(
      h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default", "b-rank-0 10.0.0.2:8000 vllm  default",
                   "c-rank-0 10.0.0.3:8000 vllm  default"}));
  std::string seen = h.source().resourceVersion();
  server.removeSilently("b");
  server.compact();  // ...and the history that would tell is gone
  server.dropWatches();

  ASSERT_TRUE(h.awaitLast({"c-rank-0 10.0.0.3:8000 vllm  default"}))
      << ::testing::PrintToString(h.last()) << ::testing::PrintToString(h.errors()) << [&] {
           std::string out;
           for (const auto& r : server.requests()) out += "\n" + r.target;
           return out;
         }();
  EXPECT_EQ(h.source().lists(), 2u);
  ASSERT_TRUE(eventually([&] { return server.watchRequests().size() >= 3; }));
  auto watches = server.watchRequests();
  EXPECT_EQ(watches[1].query["resourceVersion"], seen);                      // refused with 410
  EXPECT_EQ(watches[2].query["resourceVersion"], server.resourceVersion());  // the new list's
  EXPECT_TRUE(h.errors().empty()) << ::testing::PrintToString(h.errors());
}

TEST(KubernetesSourceTest, GoneAsAnErrorEventListsAgainAndReplacesTheState) {
  expectRelistAfterGone(FakeKubeApiServer::GoneAs::kErrorEvent);
}

TEST(KubernetesSourceTest, GoneAsHttp410ListsAgainAndReplacesTheState) {
  expectRelistAfterGone(FakeKubeApiServer::GoneAs::kHttpStatus);
}

TEST(KubernetesSourceTest, TargetPortsGiveOneEndpointPerRankAndListsArePaged) {
  Cluster cluster;
  auto& server = cluster.server;
  server.setPageSize(2);
  for (int i = 1; i <= 3; ++i) {
    server.upsert(labelled("p" + std::to_string(i), "10.0.1." + std::to_string(i), true));
  }
  Harness h(cluster.spec("app=vllm", "[8000, 8001]"));
  ASSERT_TRUE(h.awaitLast({
      "p1-rank-0 10.0.1.1:8000 vllm  default",
      "p1-rank-1 10.0.1.1:8001 vllm  default",
      "p2-rank-0 10.0.1.2:8000 vllm  default",
      "p2-rank-1 10.0.1.2:8001 vllm  default",
      "p3-rank-0 10.0.1.3:8000 vllm  default",
      "p3-rank-1 10.0.1.3:8001 vllm  default",
  })) << ::testing::PrintToString(h.last());
  auto requests = server.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].query.count("continue"), 0u);
  EXPECT_EQ(requests[1].query["continue"], "2");
  EXPECT_FALSE(requests[1].watch);
  EXPECT_EQ(h.publishes(), 1u);  // the pages are one list, published once
}

TEST(KubernetesSourceTest, ATokenReadAgainAtEachRequestAndA401IsReported) {
  Cluster cluster;
  cluster.server.upsert(labelled("a", "10.0.0.1", true));
  writeFile(cluster.tokenFile, "stale-token");
  Harness h(cluster.spec());
  ASSERT_TRUE(eventually([&] { return h.errors().size() >= 2; }));
  EXPECT_THAT(h.errors().front(),
              HasSubstr("list: HTTP 401 from the API server: Unauthorized: Unauthorized (check "
                        "the token in " +
                        cluster.tokenFile.string() + ")"));
  EXPECT_EQ(h.last(), std::vector<std::string>{"(nothing)"});
  EXPECT_EQ(cluster.server.requests().front().authorization, "Bearer stale-token");

  writeFile(cluster.tokenFile, "test-token\n");  // kubelet rotates the projected token
  ASSERT_TRUE(h.awaitLast({"a-rank-0 10.0.0.1:8000 vllm  default"}));
  EXPECT_EQ(h.recovered(), 1);
}

TEST(KubernetesSourceTest, AServerCertificateFromAnotherCaIsATlsError) {
  Cluster cluster;
  cluster.server.upsert(labelled("a", "10.0.0.1", true));
  TestPki other = TestPki::create(cluster.dir.path(), "other");
  auto spec = cluster.spec();
  spec.kubernetes.caFile = other.caCert.string();
  Harness h(spec);
  ASSERT_TRUE(eventually([&] { return h.errors().size() >= 2; }));
  EXPECT_THAT(h.errors().front(),
              HasSubstr("TLS handshake with 127.0.0.1:" + std::to_string(cluster.server.port()) +
                        ": certificate verify failed"));
  EXPECT_EQ(h.last(), std::vector<std::string>{"(nothing)"});
  EXPECT_TRUE(cluster.server.requests().empty());  // no token went out

  spec.kubernetes.caFile = (cluster.dir.path() / "missing.crt").string();
  Harness missing(spec);
  ASSERT_TRUE(eventually([&] { return !missing.errors().empty(); }));
  EXPECT_THAT(missing.errors().front(), HasSubstr("CA file " + spec.kubernetes.caFile));
}

TEST(KubernetesSourceTest, EndpointSlicesOverPlainHttp) {
  FakeKubeApiServer server({{}, {}, "llm", /*endpointSlices=*/true, "proxy-token"});
  server.upsert(json::parse(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
      "metadata":{"name":"svc-1","labels":{"kubernetes.io/service-name":"svc"}},
      "addressType":"IPv4","ports":[{"port":8000}],
      "endpoints":[{"addresses":["10.0.2.1"],"conditions":{"ready":true},
                    "targetRef":{"kind":"Pod","name":"vllm-0"}}]})"));
  auto config = config::parseConfig(
      std::string(kHeader) +
          "endpointSources:\n- kubernetes: {namespace: llm, resource: endpointslices, "
          "labelSelector: {kubernetes.io/service-name: svc}, apiServer: '" +
          server.url() + "', role: decode}\n",
      "<text>");
  ASSERT_TRUE(config) << config.error();
  server.setToken("");  // `kubectl proxy` authenticates for eppd; no token is sent
  Harness h(config->endpointSources.front());
  ASSERT_TRUE(h.awaitLast({"vllm-0-rank-0 10.0.2.1:8000 vllm decode default"}))
      << ::testing::PrintToString(h.last()) << ::testing::PrintToString(h.errors());
  EXPECT_EQ(server.requests().front().target,
            "/apis/discovery.k8s.io/v1/namespaces/llm/endpointslices?limit=500&labelSelector="
            "kubernetes.io%2Fservice-name%3Dsvc");
}

// Through EndpointSources: errors counted in eppd_endpoint_source_errors_total, endpoints
// in the store tagged with their source, removal on reload.
double sourceMetric(const std::string& family, const std::string& name) {
  for (const auto& f : common::metricsRegistry().Collect()) {
    if (f.name != family) continue;
    for (const auto& metric : f.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "name" && label.value == name) {
          return family.ends_with("_total") ? metric.counter.value : metric.gauge.value;
        }
      }
    }
  }
  return -1;
}

TEST(KubernetesSourceTest, FeedsTheStoreAndCountsErrors) {
  Cluster cluster;
  cluster.server.upsert(FakeKubeApiServer::pod("a", "10.0.3.1", true, {{"app", "counted"}}));
  writeFile(cluster.tokenFile, "wrong");
  datalayer::EndpointStore store;
  EndpointSources sources(store, {}, systemDnsResolver(), fastTiming());
  auto spec = cluster.spec("app=counted");
  sources.apply({spec});
  ASSERT_TRUE(eventually(
      [&] { return sourceMetric("eppd_endpoint_source_errors_total", "llm/app=counted") >= 2; }));
  EXPECT_EQ(store.current()->size(), 0u);

  writeFile(cluster.tokenFile, "test-token");
  ASSERT_TRUE(eventually([&] { return store.current()->size() == 1; }));
  const auto& s = store.current()->state(0);
  EXPECT_EQ(s.source, "kubernetes");
  EXPECT_EQ(s.hostPort(), "10.0.3.1:8000");
  EXPECT_EQ(s.name, "a-rank-0");
  EXPECT_EQ(sourceMetric("eppd_endpoint_source_endpoints", "llm/app=counted"), 1);

  sources.apply({});  // removed by a reload: its endpoints leave, its watch closes
  EXPECT_EQ(store.current()->size(), 0u);
  EXPECT_TRUE(eventually([&] { return cluster.server.openWatches() == 0; }));
}

}  // namespace
}  // namespace epp::runtime

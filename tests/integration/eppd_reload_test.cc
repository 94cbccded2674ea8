// Hot reload through the real eppd binary: config files rewritten (rename-on-save and
// ConfigMap symlink swaps), plugin libraries replaced in a watched directory, SIGHUP and
// POST /reload, all while client threads keep sending requests that must every one be
// routed. Each change is checked on the wire (where requests go), in /config, /plugins,
// /metrics and, for unloading, in /proc/<pid>/maps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/load_loop.h"
#include "tests/integration/wait_until.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

// Six builds of tests/integration/plugins/reload_scorer.c: version N.0.0 prefers the
// candidate at position kPrefer[N-1] (0 first, 1 second, 2 last).
const char* const kReloadScorer[] = {RELOAD_SCORER_V1, RELOAD_SCORER_V2, RELOAD_SCORER_V3,
                                     RELOAD_SCORER_V4, RELOAD_SCORER_V5, RELOAD_SCORER_V6};
const char* const kPreferred[] = {"10.1.0.1:8000", "10.1.0.3:8000", "10.1.0.2:8000",
                                  "10.1.0.1:8000", "10.1.0.3:8000", "10.1.0.2:8000"};

constexpr char kHeader[] =
    "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
    "kind: EndpointPickerConfig\n";
constexpr char kEndpoints[] =
    "endpoints:\n"
    "- {address: 10.1.0.1, port: 8000, scrape: false}\n"
    "- {address: 10.1.0.2, port: 8000, scrape: false}\n"
    "- {address: 10.1.0.3, port: 8000, scrape: false}\n";

// With the endpoint state setStates() gives — 10.1.0.1: queue 0, KV 0.9; 10.1.0.2: queue
// 9, KV 0; 10.1.0.3: queue 5, KV 0.5 — each flip kind routes everything to one endpoint,
// and consecutive kinds to different ones.
struct Flip {
  std::string yaml;
  std::string destination;
};

Flip flip(int kind, int n) {
  std::string tag = "# flip " + std::to_string(n) + "\n";
  std::string w = std::to_string(3 + n % 3);
  switch (kind) {
    case 0:  // weights: the queue dominates
      return {std::string(kHeader) + tag +
                  "plugins: [{type: queue-scorer}, {type: kv-cache-utilization-scorer}, "
                  "{type: max-score-picker}]\n"
                  "schedulingProfiles:\n"
                  "- name: queue-first\n"
                  "  plugins: [{pluginRef: queue-scorer, weight: " +
                  w +
                  "}, {pluginRef: kv-cache-utilization-scorer, weight: 1}, "
                  "{pluginRef: max-score-picker}]\n" +
                  kEndpoints,
              "10.1.0.1:8000"};
    case 1:  // weights flipped, in another profile
      return {std::string(kHeader) + tag +
                  "plugins: [{type: queue-scorer}, {type: kv-cache-utilization-scorer}, "
                  "{type: max-score-picker}]\n"
                  "schedulingProfiles:\n"
                  "- name: kv-first\n"
                  "  plugins: [{pluginRef: queue-scorer, weight: 1}, "
                  "{pluginRef: kv-cache-utilization-scorer, weight: " +
                  w + "}, {pluginRef: max-score-picker}]\n" + kEndpoints,
              "10.1.0.2:8000"};
    case 2:  // a tree: short queues, then the least KV cache
      return {std::string(kHeader) + tag +
                  "plugins:\n"
                  "- {type: low-queue-filter, parameters: {threshold: 6}}\n"
                  "- {type: least-kv-cache-filter}\n"
                  "- {type: max-score-picker}\n"
                  "schedulingProfiles:\n"
                  "- {name: default, plugins: [{pluginRef: max-score-picker}]}\n"
                  "decisionTrees:\n"
                  "- profile: default\n"
                  "  root: low-queue\n"
                  "  nodes:\n"
                  "  - {name: low-queue, filter: low-queue-filter, onSuccess: least-kv, "
                  "onFailure: least-kv}\n"
                  "  - {name: least-kv, filter: least-kv-cache-filter}\n" +
                  kEndpoints,
              "10.1.0.3:8000"};
    case 3:  // another tree: the shortest queue
      return {std::string(kHeader) + tag +
                  "plugins: [{type: least-queue-filter}, {type: max-score-picker}]\n"
                  "schedulingProfiles:\n"
                  "- {name: default, plugins: [{pluginRef: max-score-picker}]}\n"
                  "decisionTrees:\n"
                  "- {profile: default, root: q, nodes: [{name: q, filter: "
                  "least-queue-filter}]}\n" +
                  kEndpoints,
              "10.1.0.1:8000"};
    default:  // a filter list: the least KV cache
      return {std::string(kHeader) + tag +
                  "plugins: [{type: least-kv-cache-filter}, {type: max-score-picker}]\n"
                  "schedulingProfiles:\n"
                  "- name: by-kv\n"
                  "  plugins: [{pluginRef: least-kv-cache-filter}, "
                  "{pluginRef: max-score-picker}]\n" +
                  kEndpoints,
              "10.1.0.2:8000"};
  }
}

// Routing by the replaceable test plugin alone.
std::string pluginConfig(const std::string& comment = "") {
  return std::string(kHeader) + comment +
         "plugins: [{type: reload-scorer}, {type: max-score-picker}]\n"
         "schedulingProfiles:\n"
         "- name: default\n"
         "  plugins: [{pluginRef: reload-scorer}, {pluginRef: max-score-picker}]\n" +
         kEndpoints;
}

std::string chat(const std::string& content) {
  return json{{"model", "llama"}, {"messages", {{{"role", "user"}, {"content", content}}}}}.dump();
}

// Writes a sibling temporary file, then renames it over `path` (what editors and
// `kubectl cp`-style tools do).
void writeRenamed(const fs::path& path, const std::string& text) {
  fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  std::ofstream(tmp) << text;
  fs::rename(tmp, path);
}

void copyRenamed(const fs::path& from, const fs::path& to) {
  fs::path tmp = to.parent_path() / ("." + to.filename().string() + ".tmp");
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, to);
}

// Reloads take a while under load: 15 s unless told, polled every 5 ms.
template <class F>
bool waitUntil(F&& done) {
  return testing::waitUntil(std::forward<F>(done), 15s, 5ms);
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

class EppdReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-plugins-XXXXXX").string();
    pluginDir_ = ::mkdtemp(pattern.data());
    installPlugin(1);
  }
  void TearDown() override {
    eppd_.reset();
    std::error_code ec;
    fs::remove_all(pluginDir_, ec);
  }

  void start(const std::string& config, std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--plugin-dir", pluginDir_.string()});
    eppd_ = std::make_unique<EppdProcess>(config, extra);
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }
  void setStates() {
    for (const char* s : {R"({"endpoint":"10.1.0.1:8000","waiting":0,"kvCacheUsage":0.9})",
                          R"({"endpoint":"10.1.0.2:8000","waiting":9,"kvCacheUsage":0.0})",
                          R"({"endpoint":"10.1.0.3:8000","waiting":5,"kvCacheUsage":0.5})"}) {
      ASSERT_EQ(eppd_->setEndpointState(s), 200);
    }
  }
  void writeConfig(const std::string& text) { writeRenamed(eppd_->dir() / "config.yaml", text); }
  // Copies build `version` (1..6) of the test plugin over <pluginDir>/reload-scorer.so.
  void installPlugin(int version) {
    copyRenamed(kReloadScorer[version - 1], pluginDir_ / "reload-scorer.so");
  }

  json admin(const std::string& path) {
    auto r = httpRequest(eppd_->adminPort(), "GET", path);
    return json::parse(r.body, nullptr, false);
  }
  uint64_t generation() {
    json c = admin("/config");
    return c.is_object() ? c["generation"].get<uint64_t>() : 0;
  }
  json lastReload() { return admin("/config")["lastReload"]; }
  double reloads(const std::string& result) {
    return eppd_->metric("eppd_config_reload_total{result=\"" + result + "\"}");
  }
  RequestResult probe(const std::string& content = "probe") {
    ++probes_;
    RequestSpec spec;
    spec.body = chat(content);
    return client_->process(spec);
  }
  // Sends probes until one is routed to `destination` with /config at `expectedGeneration`;
  // returns the time since `since`, or a negative value after 3 s.
  double awaitRouting(const std::string& destination, uint64_t expectedGeneration,
                      Clock::time_point since) {
    while (Clock::now() - since < 3s) {
      RequestResult r = probe();
      if (r.routed && r.destination == destination) {
        double latency = ms(Clock::now() - since);
        EXPECT_EQ(generation(), expectedGeneration);
        return latency;
      }
      std::this_thread::sleep_for(2ms);
    }
    return -1;
  }
  // The cached copy of library `version` ("N.0.0") of the test plugin, from /plugins.
  std::string cachedPath(const std::string& version) {
    json plugins = admin("/plugins");  // named: a range-for would not keep it alive
    for (const auto& lib : plugins["libraries"]) {
      if (lib["name"] == "reload-test-plugin" && lib["version"] == version) {
        return lib["cachedPath"];
      }
    }
    return "";
  }
  bool mapped(const std::string& path) {
    return slurp("/proc/" + std::to_string(eppd_->pid()) + "/maps").find(path) != std::string::npos;
  }

  fs::path pluginDir_;
  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
  uint64_t probes_ = 0;
};

TEST_F(EppdReloadTest, FiftyConfigFlipsAndFivePluginReplacementsUnderLoadLoseNoRequest) {
  start(flip(4, 0).yaml);
  setStates();
  LoadLoop load(eppd_->extprocTarget(), 3);
  ASSERT_TRUE(waitUntil([&] { return load.sent() >= 20; }));

  std::vector<double> latencies;
  uint64_t expected = 1;
  for (int i = 0; i < 50; ++i) {
    Flip f = flip(i % 5, i + 1);
    Clock::time_point t0 = Clock::now();
    writeConfig(f.yaml);
    double latency = awaitRouting(f.destination, ++expected, t0);
    ASSERT_GE(latency, 0) << "flip " << i << " (kind " << i % 5 << ") not followed in 3 s\n"
                          << lastReload().dump(2);
    latencies.push_back(latency);
  }
  uint64_t sentDuringFlips = load.sent();

  // Routing by the test plugin; then five new builds of it dropped into the directory.
  Clock::time_point t0 = Clock::now();
  writeConfig(pluginConfig());
  ASSERT_GE(awaitRouting(kPreferred[0], ++expected, t0), 0) << lastReload().dump(2);
  std::vector<double> pluginLatencies;
  for (int version = 2; version <= 6; ++version) {
    t0 = Clock::now();
    installPlugin(version);
    double latency = awaitRouting(kPreferred[version - 1], ++expected, t0);
    ASSERT_GE(latency, 0) << "plugin " << version << " not followed in 3 s\n"
                          << lastReload().dump(2);
    pluginLatencies.push_back(latency);
    bool found = false;
    json plugins = admin("/plugins");
    for (const auto& i : plugins["instances"]) {
      if (i["name"] != "reload-scorer") continue;
      found = true;
      EXPECT_EQ(i["version"], std::to_string(version) + ".0.0");
    }
    EXPECT_TRUE(found);
  }
  std::this_thread::sleep_for(200ms);
  load.stop();

  EXPECT_EQ(load.failed(), 0u) << ::testing::PrintToString(load.failures());
  EXPECT_EQ(load.routed(), load.sent());
  EXPECT_GT(sentDuringFlips, 100u);
  EXPECT_DOUBLE_EQ(reloads("success"), 56);
  EXPECT_DOUBLE_EQ(reloads("failure"), 0);
  EXPECT_DOUBLE_EQ(eppd_->metric("eppd_config_generation"), 57);
  // Nothing lost on eppd's side either: every stream the clients opened ended routed.
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_extproc_streams_total{code="0",result="routed"})"),
                   static_cast<double>(load.sent() + probes_));
  auto worst = *std::max_element(latencies.begin(), latencies.end());
  auto worstPlugin = *std::max_element(pluginLatencies.begin(), pluginLatencies.end());
  double mean = 0;
  for (double l : latencies) mean += l / static_cast<double>(latencies.size());
  EXPECT_LT(worst, 1000);
  EXPECT_LT(worstPlugin, 1000);
  std::cout << "[ reload  ] " << load.sent() << " load requests (" << sentDuringFlips
            << " during the 50 config flips), " << probes_ << " probes, " << load.failed()
            << " failed; file change -> new routing: config mean " << mean << " ms, max " << worst
            << " ms; plugin max " << worstPlugin << " ms\n";
}

TEST_F(EppdReloadTest, InvalidConfigsChangeNothing) {
  start(flip(0, 0).yaml);
  setStates();
  LoadLoop load(eppd_->extprocTarget(), 2);
  const std::string good = flip(0, 0).yaml;
  struct Bad {
    std::string what;
    std::string yaml;
    std::string error;  // expected in lastReload.error
  };
  const std::vector<Bad> cases = {
      {"syntax error", good + "routing: {models: [llama\n", "config.yaml:"},
      {"unknown plugin type",
       std::string(kHeader) +
           "plugins: [{type: queue-scorer}, {type: quantum-scorer}, {type: max-score-picker}]\n" +
           kEndpoints,
       "unknown plugin type 'quantum-scorer'"},
      {"plugin init failure",
       std::string(kHeader) +
           "plugins: [{type: low-queue-filter, parameters: {threshold: -3}}, "
           "{type: max-score-picker}]\n" +
           kEndpoints,
       "must be between 0 and"},
  };
  int failures = 0;
  for (const auto& c : cases) {
    writeConfig(c.yaml);
    ++failures;
    ASSERT_TRUE(waitUntil([&] { return reloads("failure") == failures; }))
        << c.what << ": " << eppd_->log();
    json last = lastReload();
    EXPECT_EQ(last["result"], "failure") << c.what;
    EXPECT_THAT(last["error"].get<std::string>(), HasSubstr(c.error)) << c.what;
    EXPECT_THAT(last["error"].get<std::string>(),
                MatchesRegex("(.|\n)*config.yaml:[0-9]+:[0-9]+(.|\n)*"))
        << c.what;
    EXPECT_EQ(last["generation"], 1);
    EXPECT_EQ(generation(), 1u) << c.what;
    EXPECT_DOUBLE_EQ(eppd_->metric("eppd_config_generation"), 1);
    RequestResult r = probe();
    EXPECT_EQ(r.destination, "10.1.0.1:8000") << c.what;  // still the old config
    EXPECT_THAT(eppd_->log(), HasSubstr("config reload failed")) << c.what;
  }
  // And a good config after the bad ones is taken.
  Clock::time_point t0 = Clock::now();
  writeConfig(flip(1, 1).yaml);
  EXPECT_GE(awaitRouting("10.1.0.2:8000", 2, t0), 0);
  // The reload is counted just after the new snapshot is published, so routing can turn first.
  EXPECT_TRUE(waitUntil([&] { return reloads("success") == 1; })) << eppd_->log();
  load.stop();
  EXPECT_EQ(load.failed(), 0u) << ::testing::PrintToString(load.failures());
  EXPECT_GT(load.sent(), 0u);
}

TEST_F(EppdReloadTest, APluginReleaseThatFaultsInTheDryRunIsRefused) {
  start(pluginConfig());
  setStates();
  copyRenamed(RELOAD_SCORER_FAULTY, pluginDir_ / "reload-scorer.so");
  ASSERT_TRUE(waitUntil([&] { return reloads("failure") == 1; })) << eppd_->log();
  json last = lastReload();
  EXPECT_THAT(last["error"].get<std::string>(),
              HasSubstr("dry-run decision: plugin 'reload-scorer' (scorer) misbehaved"));
  EXPECT_THAT(last["error"].get<std::string>(), MatchesRegex("(.|\n)*config.yaml:3:[0-9]+(.|\n)*"));
  EXPECT_EQ(generation(), 1u);
  EXPECT_EQ(probe().destination, kPreferred[0]);  // version 1 still decides
  EXPECT_EQ(cachedPath("9.9.9"), "");             // the broken build was never published
  Clock::time_point t0 = Clock::now();
  installPlugin(2);
  EXPECT_GE(awaitRouting(kPreferred[1], 2, t0), 0) << eppd_->log();
}

TEST_F(EppdReloadTest, ConfigMapDataSymlinkSwapIsPickedUp) {
  start(flip(0, 0).yaml);
  setStates();
  const fs::path dir = eppd_->dir();
  // Turn the plain file into the kubelet's layout: config.yaml -> ..data/config.yaml,
  // ..data -> ..<timestamp>/ (same content: a no-op reload).
  auto publish = [&](const std::string& stamp, const std::string& text) {
    fs::create_directory(dir / stamp);
    std::ofstream(dir / stamp / "config.yaml") << text;
    fs::create_directory_symlink(stamp, dir / "..data_tmp");
    fs::rename(dir / "..data_tmp", dir / "..data");  // the atomic swap
  };
  publish("..2026_01_01_00_00_00.000000001", flip(0, 0).yaml);
  fs::create_symlink("..data/config.yaml", dir / ".config.yaml.link");
  fs::rename(dir / ".config.yaml.link", dir / "config.yaml");
  ASSERT_TRUE(waitUntil([&] { return reloads("unchanged") >= 1; })) << eppd_->log();
  EXPECT_EQ(generation(), 1u);

  Clock::time_point t0 = Clock::now();
  publish("..2026_01_01_00_01_00.000000002", flip(1, 1).yaml);
  fs::remove_all(dir / "..2026_01_01_00_00_00.000000001");
  EXPECT_GE(awaitRouting("10.1.0.2:8000", 2, t0), 0) << eppd_->log();
  EXPECT_THAT(lastReload()["trigger"].get<std::string>(), HasSubstr("..data"));

  t0 = Clock::now();
  publish("..2026_01_01_00_02_00.000000003", flip(2, 2).yaml);
  fs::remove_all(dir / "..2026_01_01_00_01_00.000000002");
  EXPECT_GE(awaitRouting("10.1.0.3:8000", 3, t0), 0) << eppd_->log();
}

TEST_F(EppdReloadTest, SighupAndPostReloadWithoutTheWatch) {
  start(flip(0, 0).yaml, {"--no-watch"});
  setStates();
  writeConfig(flip(1, 1).yaml);
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(generation(), 1u);  // not watching
  EXPECT_EQ(probe().destination, "10.1.0.1:8000");

  Clock::time_point t0 = Clock::now();
  ASSERT_EQ(::kill(eppd_->pid(), SIGHUP), 0);
  EXPECT_GE(awaitRouting("10.1.0.2:8000", 2, t0), 0) << eppd_->log();
  EXPECT_EQ(lastReload()["trigger"], "SIGHUP");

  writeConfig(flip(2, 2).yaml);
  HttpResponse r = httpRequest(eppd_->adminPort(), "POST", "/reload");
  EXPECT_EQ(r.status, 200);
  json outcome = json::parse(r.body);
  EXPECT_EQ(outcome["result"], "success");
  EXPECT_EQ(outcome["generation"], 3);
  EXPECT_EQ(outcome["previousGeneration"], 2);
  EXPECT_EQ(outcome["trigger"], "POST /reload");
  EXPECT_EQ(probe().destination, "10.1.0.3:8000");  // answered after the publish

  r = httpRequest(eppd_->adminPort(), "POST", "/reload");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["result"], "unchanged");
  EXPECT_EQ(generation(), 3u);

  writeConfig("plugins: [\n");
  r = httpRequest(eppd_->adminPort(), "POST", "/reload");
  EXPECT_EQ(r.status, 422);
  outcome = json::parse(r.body);
  EXPECT_EQ(outcome["result"], "failure");
  EXPECT_THAT(outcome["error"].get<std::string>(), HasSubstr("config.yaml:"));
  EXPECT_EQ(generation(), 3u);
  EXPECT_DOUBLE_EQ(reloads("success"), 2);
  EXPECT_DOUBLE_EQ(reloads("unchanged"), 1);
  EXPECT_DOUBLE_EQ(reloads("failure"), 1);
}

TEST_F(EppdReloadTest, PrefixIndexSurvivesAWeightOnlyChange) {
  auto config = [](int kvWeight) {
    return std::string(kHeader) +
           "plugins: [{type: queue-scorer}, {type: kv-cache-utilization-scorer}, "
           "{type: prefix-cache-scorer}, {type: max-score-picker}]\n"
           "schedulingProfiles:\n"
           "- name: default\n"
           "  plugins:\n"
           "  - {pluginRef: queue-scorer, weight: 2}\n"
           "  - {pluginRef: kv-cache-utilization-scorer, weight: " +
           std::to_string(kvWeight) +
           "}\n"
           "  - {pluginRef: prefix-cache-scorer, weight: 3}\n"
           "  - {pluginRef: max-score-picker}\n" +
           kEndpoints;
  };
  start(config(2));
  const std::string system(6000, 's');
  RequestResult first = probe(system + " first question");
  ASSERT_TRUE(first.routed);
  // The first endpoint is now the busiest: by queue alone, anything else wins.
  for (const char* ep : {"10.1.0.1:8000", "10.1.0.2:8000", "10.1.0.3:8000"}) {
    int waiting = first.destination == ep ? 2 : 0;
    ASSERT_EQ(eppd_->setEndpointState(std::string(R"({"endpoint":")") + ep + R"(","waiting":)" +
                                      std::to_string(waiting) + R"(,"kvCacheUsage":0.1})"),
              200);
  }

  writeConfig(config(1));  // a weight, nothing else
  ASSERT_TRUE(waitUntil([&] { return generation() == 2; })) << eppd_->log();
  json last = lastReload();
  EXPECT_EQ(last["result"], "success");
  EXPECT_EQ(last["carriedOver"], last["instances"]);
  json plugins = admin("/plugins");
  for (const auto& i : plugins["instances"]) {
    EXPECT_EQ(i["createdInGeneration"], 1) << i.dump();
  }

  RequestResult second = probe(system + " second question");
  EXPECT_EQ(second.destination, first.destination);
  // Without the shared prefix the queue decides: somewhere else.
  RequestResult other = probe(std::string(6000, 'o') + " unrelated");
  EXPECT_TRUE(other.routed);
  EXPECT_NE(other.destination, first.destination);
}

TEST_F(EppdReloadTest, AReplacedLibraryIsUnmappedOnceItsLastStreamEnds) {
  start(pluginConfig());
  const std::string v1 = cachedPath("1.0.0");
  ASSERT_FALSE(v1.empty()) << admin("/plugins").dump(2);
  ASSERT_TRUE(mapped(v1));

  // A stream routed by generation 1 and still open (its response has not come yet).
  std::unique_ptr<EnvoyStream> held = client_->open(30s);
  RequestSpec spec;
  spec.body = chat("held across the reload");
  ASSERT_TRUE(held->send(EnvoyClient::requestHeadersMessage(spec)));
  ASSERT_TRUE(held->send(EnvoyClient::requestBodyMessage(spec.body, true)));
  extproc_pb::ProcessingResponse reply;
  ASSERT_TRUE(held->read(reply));  // the routing decision

  Clock::time_point t0 = Clock::now();
  installPlugin(2);
  ASSERT_GE(awaitRouting(kPreferred[1], 2, t0), 0) << eppd_->log();
  const std::string v2 = cachedPath("2.0.0");
  ASSERT_FALSE(v2.empty());
  EXPECT_TRUE(mapped(v2));
  EXPECT_TRUE(mapped(v1)) << "generation 1 is still held by the open stream";
  json plugins = admin("/plugins");
  bool listed = false;
  for (const auto& lib : plugins["libraries"]) {
    if (lib["cachedPath"] != v1) continue;
    listed = true;
    EXPECT_EQ(lib["snapshots"], 1);
    EXPECT_EQ(lib["generations"], json::array({1}));
    EXPECT_EQ(lib["inPluginDirs"], false);
  }
  EXPECT_TRUE(listed) << plugins.dump(2);
  EXPECT_EQ(admin("/config")["liveGenerations"], json::array({1, 2}));

  held->cancel();
  (void)held->finish();
  held.reset();
  EXPECT_TRUE(waitUntil([&] { return !mapped(v1); })) << "v1 still mapped after the drain";
  EXPECT_TRUE(mapped(v2));
  EXPECT_TRUE(waitUntil([&] { return cachedPath("1.0.0").empty(); }));
  EXPECT_EQ(admin("/config")["liveGenerations"], json::array({2}));
  EXPECT_TRUE(waitUntil([&] {
    return eppd_->log().find("config generation 1 released") != std::string::npos;
  })) << eppd_->log();
}

}  // namespace
}  // namespace epp::testing

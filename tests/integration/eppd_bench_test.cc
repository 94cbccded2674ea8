// eppd-bench end to end: the real eppd binary, pointed with --endpoint at in-test model
// servers that stream SSE; the real eppd-bench binary runs a short workload through eppd
// over ext_proc and round-robin straight to the servers, and its table, JSON and plot
// files are checked against what the servers and eppd's /metrics counted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/integration/eppd_process.h"
#include "tests/integration/fake_model_server.h"
#include "tests/integration/sim_process.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The reference default profile, without endpoints of its own: the fleet comes from
// --endpoint flags. The in-test servers speak only the OpenAI API, so no scraping (the
// simulator test below scrapes).
constexpr char kConfig[] = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
scraping: {enabled: false}
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
)";

struct BenchResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

BenchResult runBench(const std::string& args, const fs::path& dir) {
  const std::string command = std::string(EPPD_BENCH_PATH) + " " + args + " >" +
                              (dir / "out").string() + " 2>" + (dir / "err").string();
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "out"), slurp(dir / "err")};
}

class EppdBenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-bench-it-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    for (int i = 0; i < 3; ++i) servers_.push_back(std::make_unique<FakeModelServer>());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void startEppd(const std::string& config) {
    std::vector<std::string> args;
    for (size_t i = 0; i < servers_.size(); ++i) {
      args.push_back("--endpoint");
      args.push_back("sim-" + std::to_string(i) + "=" + servers_[i]->address());
    }
    eppd_ = std::make_unique<EppdProcess>(config, args);
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
  }
  std::string fleet() const {
    std::string out;
    for (const auto& s : servers_) out += (out.empty() ? "" : ",") + s->address();
    return out;
  }
  uint64_t completions() const {
    uint64_t n = 0;
    for (const auto& s : servers_) n += s->completions();
    return n;
  }

  fs::path dir_;
  std::vector<std::unique_ptr<FakeModelServer>> servers_;
  std::unique_ptr<EppdProcess> eppd_;
};

TEST_F(EppdBenchTest, ThroughEppdAndRoundRobinSideBySide) {
  startEppd(kConfig);
  const std::string workload =
      "shared-prefix:groups=4,users=2,system=64,question=16,output=6,concurrency=6,requests=60,"
      "seed=3";
  BenchResult r = runBench(
      "--workload " + workload + " --run name=eppd,target=" + eppd_->extprocTarget() +
          " --run name=rr,direct --fleet " + fleet() + " --json " +
          (dir_ / "report.json").string() + " --json-records --plot " + (dir_ / "plot").string() +
          // Bodies of ~400 bytes go to eppd in several chunks.
          " --chunk-bytes 100",
      dir_);
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  // Both runs reached the servers, every request once.
  EXPECT_EQ(completions(), 120u);
  // Not a terminal: no progress bar.
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("in flight")));
  EXPECT_THAT(r.out, HasSubstr("workload: shared-prefix:seed=3,"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("requests ok / sent +60 / 60 +60 / 60"));
  EXPECT_THAT(r.out, HasSubstr("plot: "));
  // /sim/reset answered 404: tolerated without a warning.
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("reset")));

  nlohmann::json report = nlohmann::json::parse(slurp(dir_ / "report.json"));
  EXPECT_EQ(report["baseline"], "eppd");
  ASSERT_EQ(report["runs"].size(), 2u);
  for (const auto& run : report["runs"]) {
    SCOPED_TRACE(run["name"].get<std::string>());
    EXPECT_EQ(run["requests"], 60);
    EXPECT_EQ(run["ok"], 60);
    EXPECT_TRUE(run["errors"].empty());
    EXPECT_EQ(run["output_tokens"], 360);
    EXPECT_EQ(run["ttft_s"]["count"], 60);
    EXPECT_GT(run["output_tokens_per_s"].get<double>(), 0);
    EXPECT_LE(run["ttft_s"]["p90"].get<double>(), run["e2e_s"]["p90"].get<double>());
    size_t routed = 0;
    double shares = 0;
    for (const auto& [endpoint, share] : run["endpoints"].items()) {
      routed += share["requests"].get<size_t>();
      shares += share["share"].get<double>();
    }
    EXPECT_EQ(routed, 60u);
    EXPECT_NEAR(shares, 1.0, 1e-9);
    ASSERT_EQ(run["records"].size(), 60u);
    for (const auto& record : run["records"]) {
      ASSERT_FALSE(record["ttft_s"].is_null()) << record.dump();
      EXPECT_LE(record["ttft_s"].get<double>(), record["e2e_s"].get<double>()) << record.dump();
      EXPECT_EQ(record["status"], 200);
      EXPECT_EQ(record["detail"].get<std::string>(), "");
      EXPECT_EQ(record["output_tokens"], 6);
      // 64 + 16 tokens, counted by the server's usage.
      EXPECT_EQ(record["input_tokens"], 80);
    }
    // 8 distinct prompts over 60 requests: the servers' toy prefix cache hits.
    ASSERT_FALSE(run["prefix_hit_rate"].is_null());
    EXPECT_GT(run["prefix_hit_rate"].get<double>(), 0.0);
    EXPECT_FALSE(run["cached_token_rate"].is_null());
  }
  // Round-robin: exactly a third each.
  for (const auto& [endpoint, share] : report["runs"][1]["endpoints"].items()) {
    EXPECT_EQ(share["requests"], 20) << endpoint;
  }
  EXPECT_DOUBLE_EQ(report["runs"][0]["ratios"]["ttft_p90"].get<double>(), 1.0);
  EXPECT_FALSE(report["runs"][1]["ratios"]["ttft_p90"].is_null());
  // Record ids are the x-request-id eppd saw: run name and request index.
  EXPECT_EQ(report["runs"][0]["records"][7]["id"], "eppd-req-7");

  // eppd routed every stream of the first run, and only those.
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_extproc_streams_total{code="0",result="routed"})"), 60);

  EXPECT_EQ(slurp(dir_ / "plot" / "ttft_cdf.dat").find("# eppd:"), 0u);
  EXPECT_THAT(slurp(dir_ / "plot" / "ttft_cdf.gp"), HasSubstr("title 'rr'"));
}

TEST_F(EppdBenchTest, ImmediateResponsesCountAsErrorsByStatus) {
  // Only model "other" is served: every request of the workload's model gets a 404.
  startEppd(std::string(kConfig) + "routing:\n  models: [other]\n");
  BenchResult r = runBench(
      "--workload random:input=8,output=2,rate=constant:200,requests=10 "
      "--target " +
          eppd_->extprocTarget() + " --json " + (dir_ / "report.json").string(),
      dir_);
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  nlohmann::json run = nlohmann::json::parse(slurp(dir_ / "report.json"))["runs"][0];
  EXPECT_EQ(run["ok"], 0);
  EXPECT_EQ(run["errors"]["404"], 10);
  EXPECT_TRUE(run["endpoints"].empty());
  // 10 requests at 200/s: sent on schedule, well within a loaded machine's slack.
  EXPECT_LT(run["max_send_lag_s"].get<double>(), 1.0);
  EXPECT_TRUE(run["ttft_s"]["p50"].is_null());
  EXPECT_EQ(completions(), 0u);
  EXPECT_THAT(r.out, ::testing::ContainsRegex("errors +404:10"));
  // Each error code is explained once, with eppd's ImmediateResponse body.
  EXPECT_THAT(r.err, HasSubstr("run 'eppd': error 404, e.g. eppd-req-0: inference error: "
                               "NotFound - model sim-model is not served here"));
}

TEST_F(EppdBenchTest, NonStreamingDirectRunAndMistakes) {
  BenchResult r = runBench(
      "--workload multi-turn:conversations=2,turns=3,system=8,question=4,output=3,stream=false,"
      "api=completions,concurrency=2,requests=30 --direct --fleet " +
          fleet() + " --json " + (dir_ / "report.json").string(),
      dir_);
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  nlohmann::json run = nlohmann::json::parse(slurp(dir_ / "report.json"))["runs"][0];
  EXPECT_EQ(run["name"], "round-robin");
  EXPECT_EQ(run["ok"], 30) << r.out << r.err;
  EXPECT_EQ(run["output_tokens"], 90);
  EXPECT_EQ(completions(), 30u);
  // Keep-alive: with two requests in flight a server needs at most two connections, not
  // one per request; besides, each server sees a reset and two /metrics scrapes.
  uint64_t connections = 0;
  for (const auto& s : servers_) connections += s->connections();
  EXPECT_LE(connections, 3u * 2 + 3u * 3);

  BenchResult bad =
      runBench("--workload shared-prefix:grups=2,requests=1 --direct --fleet a:1", dir_);
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown key 'grups' for shared-prefix (did you mean 'groups'?)"));
  BenchResult noFleet = runBench("--workload random:concurrency=1,requests=1 --direct", dir_);
  EXPECT_EQ(noFleet.exitCode, 2);
  EXPECT_THAT(noFleet.err, HasSubstr("run 'round-robin' is direct: it needs --fleet"));
  BenchResult down =
      runBench("--workload random:concurrency=1,requests=1 --target 127.0.0.1:1 --timeout 1", dir_);
  EXPECT_EQ(down.exitCode, 1);
  EXPECT_THAT(down.err, HasSubstr("cannot connect to eppd's ext_proc at 127.0.0.1:1"));
  // A fleet member that refuses connections: every request fails as "connect", explained.
  BenchResult refused = runBench(
      "--workload random:concurrency=2,requests=4 --direct --no-reset --fleet 127.0.0.1:1", dir_);
  EXPECT_EQ(refused.exitCode, 0);
  EXPECT_THAT(refused.out, ::testing::ContainsRegex("errors +connect:4"));
  EXPECT_THAT(refused.err, HasSubstr("error connect, e.g. round-robin-req-0: 127.0.0.1:1: connect: "
                                     "Connection refused"));
}

// Everything real: eppd-sim servers, eppd scraping their /metrics through the vllm adapter,
// eppd-bench playing Envoy through eppd to them.
TEST_F(EppdBenchTest, ThroughEppdToSimulatorsItScrapes) {
  SimProcess sims(dir_, 3, {"--num-gpu-blocks", "1000"});
  ASSERT_EQ(sims.ports().size(), 3u) << sims.log();
  std::vector<std::string> args;
  std::string fleet;
  for (int port : sims.ports()) {
    std::string address = "127.0.0.1:" + std::to_string(port);
    args.insert(args.end(), {"--endpoint", address});
    fleet += (fleet.empty() ? "" : ",") + address;
  }
  std::string config = kConfig;
  config.replace(config.find("scraping: {enabled: false}"), 26, "scraping: {interval: 20ms}");
  eppd_ = std::make_unique<EppdProcess>(config, args);
  ASSERT_TRUE(eppd_->started()) << eppd_->error();

  // eppd reads each simulator's KV cache geometry from its vllm:cache_config_info.
  auto scraped = [&] {
    nlohmann::json eps = nlohmann::json::parse(
        httpRequest(eppd_->adminPort(), "GET", "/endpoints").body)["endpoints"];
    int n = 0;
    for (const auto& e : eps)
      n += !e["metrics"].is_null() && e["metrics"]["cacheNumBlocks"] == 1000;
    return n;
  };
  for (int i = 0; i < 200 && scraped() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(scraped(), 3) << httpRequest(eppd_->adminPort(), "GET", "/endpoints").body;

  BenchResult r = runBench(
      "--workload shared-prefix:groups=3,users=4,system=400,question=40,"
      "output=20,concurrency=6,requests=48,seed=5 --target " +
          eppd_->extprocTarget() + " --fleet " + fleet + " --json " +
          (dir_ / "report.json").string(),
      dir_);
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  nlohmann::json run = nlohmann::json::parse(slurp(dir_ / "report.json"))["runs"][0];
  EXPECT_EQ(run["ok"], 48);
  EXPECT_EQ(run["output_tokens"], 48 * 20);
  // The simulators served exactly those requests (the bench reset them before the run)...
  double served = 0;
  for (int port : sims.ports()) served += SimProcess::metric(port, "vllm:request_success_total");
  EXPECT_EQ(served, 48);
  // ...with the shared system prompts mostly cached: prefix affinity at work.
  EXPECT_GT(run["prefix_hit_rate"].get<double>(), 0.5) << run.dump(2);
  EXPECT_GT(eppd_->metric(R"(eppd_extproc_streams_total{code="0",result="routed"})"), 47);
}

// `eppd-bench transport`: the null ext_proc server (the baseline) and eppd, the same client
// and load, one short round; the table names both runs with their rates, CPU per stream and
// no errors, and eppd routed every stream the bench counted for it.
TEST_F(EppdBenchTest, TransportRunsTheNullServerAndEppdSideBySide) {
  startEppd(kConfig);
  const int nullPort = 20000 + static_cast<int>(::getpid() % 20000);
  pid_t null =
      spawnLogged({EPPD_NULL_EXTPROC_PATH, "--address", "127.0.0.1:" + std::to_string(nullPort),
                   "--destination", servers_[0]->address()},
                  dir_ / "null.log");
  ASSERT_GT(null, 0);
  for (int i = 0; i < 100 && slurp(dir_ / "null.log").find("listening") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BenchResult r = runBench(
      "transport --seconds 0.3 --rounds 1 --concurrency 4 --body-bytes 2048 "
      "--run name=null,target=127.0.0.1:" +
          std::to_string(nullPort) + ",pid=" + std::to_string(null) + " --run name=eppd,target=" +
          eppd_->extprocTarget() + ",pid=" + std::to_string(eppd_->pid()),
      dir_);
  ::kill(null, SIGTERM);
  ::waitpid(null, nullptr, 0);
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("2048-byte bodies; saturation: 4 streams in flight"));
  for (const char* run : {"null", "eppd"}) {
    std::istringstream table(r.out);
    std::string line;
    bool found = false;
    while (std::getline(table, line)) {
      std::istringstream fields(line);
      std::string name;
      double rate = 0, ratio = 0, p50 = 0, p99 = 0, stream = 0, cpu = 0, cpuRatio = 0;
      std::string added;
      uint64_t errors = 1;
      if (!(fields >> name) || name != run) continue;
      ASSERT_TRUE(fields >> rate >> ratio >> p50 >> p99 >> added >> stream >> cpu >> cpuRatio >>
                  errors)
          << line;
      found = true;
      EXPECT_GT(rate, 10) << line;
      EXPECT_GT(p50, 0) << line;
      EXPECT_GT(cpu, 0) << line;
      EXPECT_EQ(errors, 0u) << line;
      if (std::string(run) == "null") {
        EXPECT_DOUBLE_EQ(ratio, 1.0);
      }
    }
    EXPECT_TRUE(found) << run << " missing from:\n" << r.out;
  }
  // eppd answered every stream it was sent with a routing decision.
  EXPECT_GT(eppd_->metric(R"(eppd_extproc_streams_total{code="0",result="routed"})"), 10);
}

}  // namespace
}  // namespace epp::testing

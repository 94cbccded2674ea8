// `eppd scrape`: the real binary parsing saved /metrics captures and a running eppd-sim
// through the built-in backend adapters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/eppd_process.h"
#include "tests/integration/sim_process.h"
#include "tests/support/metrics_http_server.h"
#include "tests/support/test_pki.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

const std::string kFixtures = EPP_METRICS_FIXTURES;

class EppdScrapeCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-scrape-cmd-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(EppdScrapeCommandTest, ASavedVllmCaptureParsesToItsValues) {
  RunResult r =
      runEppd("scrape --engine vllm " + kFixtures + "/vllm/v0.26.0-llmd-router-none.prom");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["engine"], "vllm");
  EXPECT_EQ(out["state"]["cacheBlockSize"], 16);
  EXPECT_EQ(out["state"]["cacheNumBlocks"], 74272);
  EXPECT_EQ(out["state"]["waiting"], 0);
  EXPECT_EQ(out["state"]["labels"]["model_name"], "Qwen/Qwen3-0.6B");
}

TEST_F(EppdScrapeCommandTest, ARunningSimulatorIsFetchedParsedAndProbed) {
  SimProcess sim(dir_, 1, {"--num-gpu-blocks", "777", "--max-loras", "2"});
  ASSERT_EQ(sim.ports().size(), 1u) << sim.log();
  RunResult r = runEppd("scrape http://127.0.0.1:" + std::to_string(sim.ports()[0]));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  json out = json::parse(r.out);
  EXPECT_EQ(out["metricsPath"], "/metrics");
  EXPECT_EQ(out["httpStatus"], 200);
  EXPECT_EQ(out["health"], "healthy");
  EXPECT_EQ(out["state"]["cacheNumBlocks"], 777);
  EXPECT_EQ(out["state"]["maxLoras"], 2);
  EXPECT_EQ(out["state"]["running"], 0);
  EXPECT_DOUBLE_EQ(out["state"]["kvCacheUsage"].get<double>(), 0.0);
}

TEST_F(EppdScrapeCommandTest, MalformedExpositionIsExitOneWithTheAdaptersError) {
  fs::path bad = dir_ / "truncated.prom";
  std::ofstream(bad)
      << "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{a=\"b\"} 3";
  RunResult r = runEppd("scrape " + bad.string());
  EXPECT_EQ(r.exitCode, 1);
  json out = json::parse(r.out);
  EXPECT_FALSE(out["error"].get<std::string>().empty());
  EXPECT_THAT(r.err, HasSubstr("truncated.prom"));
}

TEST_F(EppdScrapeCommandTest, UnknownEngineUnreadableFileAndRefusedConnectionAreExitTwo) {
  RunResult unknown =
      runEppd("scrape --engine nosuch " + kFixtures + "/vllm/v0.26.0-llmd-router-none.prom");
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_THAT(unknown.err, HasSubstr("no backend adapter for engine 'nosuch' (loaded: "));
  EXPECT_THAT(unknown.err, HasSubstr("vllm"));
  RunResult missing = runEppd("scrape /nonexistent/metrics.prom");
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot read /nonexistent/metrics.prom"));
  RunResult refused = runEppd("scrape http://127.0.0.1:1/metrics --timeout 2");
  EXPECT_EQ(refused.exitCode, 2);
  EXPECT_THAT(refused.err, HasSubstr("GET http://127.0.0.1:1/metrics"));
}

TEST_F(EppdScrapeCommandTest, HttpsIsFetchedWithTheGivenCaAndRefusedWithAnother) {
  TestPki pki = TestPki::create(dir_);
  TestPki other = TestPki::create(dir_, "other");
  MetricsHttpServer server(pki.serverCert, pki.serverKey);
  server.setMetrics(
      "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{model_name=\"m\"} 4\n"
      "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name=\"m\"} 1\n");
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/metrics";
  RunResult ok = runEppd("scrape --ca-file " + pki.caCert.string() + " " + url);
  ASSERT_EQ(ok.exitCode, 0) << ok.err;
  json out = json::parse(ok.out);
  EXPECT_EQ(out["state"]["waiting"], 4);
  EXPECT_EQ(out["state"]["running"], 1);

  RunResult wrongCa = runEppd("scrape --ca-file " + other.caCert.string() + " " + url);
  EXPECT_EQ(wrongCa.exitCode, 2);
  EXPECT_THAT(wrongCa.err, HasSubstr("GET https://127.0.0.1:" + std::to_string(server.port())));
  EXPECT_THAT(wrongCa.err, HasSubstr("certificate verify failed"));

  RunResult skip = runEppd("scrape --insecure-skip-verify " + url);
  EXPECT_EQ(skip.exitCode, 0) << skip.err;
}

}  // namespace
}  // namespace epp::testing

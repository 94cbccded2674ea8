// Prefill/decode disaggregation through the real eppd binary: configs/pd-disaggregation.yaml
// (llm-d's P/D sample) in front of eppd-sim servers labelled llm-d.ai/role prefill and
// decode, requests played by EnvoyClient. The decision reaches the gateway as the
// destination (a decode server) and the upstream header x-prefiller-host-port (a prefill
// server, or absent for decode-only).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/sim_process.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using ::testing::AnyOfArray;

// The example config with its demo endpoints replaced by the simulators.
std::string pdConfig(const std::vector<int>& prefillPorts, const std::vector<int>& decodePorts) {
  std::ifstream in(std::string(EPP_CONFIGS_DIR) + "/pd-disaggregation.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string config = text.str();
  config = config.substr(0, config.find("\nendpoints:"));
  config += "\nscraping: {interval: 20ms, timeout: 200ms}\nendpoints:\n";
  for (int port : prefillPorts) {
    config += "- {address: 127.0.0.1, port: " + std::to_string(port) + ", role: prefill}\n";
  }
  for (int port : decodePorts) {
    config += "- {address: 127.0.0.1, port: " + std::to_string(port) + ", role: decode}\n";
  }
  return config;
}

std::vector<std::string> hosts(const std::vector<int>& ports) {
  std::vector<std::string> out;
  for (int port : ports) out.push_back("127.0.0.1:" + std::to_string(port));
  return out;
}

// A prompt of `chars` characters that shares nothing with another seed's.
std::string prompt(size_t chars, int seed) {
  std::string out;
  for (int i = 0; out.size() < chars; ++i) {
    out += "request " + std::to_string(seed) + " sentence " + std::to_string(i) + ". ";
  }
  return out.substr(0, chars);
}

RequestSpec chat(const std::string& content) {
  RequestSpec spec;
  spec.body =
      json{{"model", "sim-model"}, {"messages", {{{"role", "user"}, {"content", content}}}}}.dump();
  return spec;
}

// Sum of the samples of `family` on eppd's /metrics whose labels contain `label`.
double sampleSum(int metricsPort, const std::string& family, const std::string& label) {
  std::istringstream body(httpRequest(metricsPort, "GET", "/metrics").body);
  double sum = 0;
  for (std::string line; std::getline(body, line);) {
    if (line.rfind(family + "{", 0) != 0 || line.find(label) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

class EppdPdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-pd-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  bool allScraped(size_t count) const {
    json all = json::parse(httpRequest(eppd_->adminPort(), "GET", "/endpoints").body);
    size_t ready = 0;
    for (const auto& e : all["endpoints"]) {
      ready += e["health"] == "healthy" && !e["metrics"].is_null();
    }
    return ready == count;
  }
  fs::path dir_;
  std::unique_ptr<EppdProcess> eppd_;
};

TEST_F(EppdPdTest, LongPromptsGetAPrefillServerShortAndCachedOnesDoNot) {
  SimProcess prefill(dir_, 2);
  SimProcess decode(dir_, 2);
  ASSERT_EQ(prefill.ports().size(), 2u) << prefill.log();
  ASSERT_EQ(decode.ports().size(), 2u) << decode.log();
  eppd_ = std::make_unique<EppdProcess>(pdConfig(prefill.ports(), decode.ports()));
  ASSERT_TRUE(eppd_->started()) << eppd_->error();
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!allScraped(4) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(allScraped(4)) << httpRequest(eppd_->adminPort(), "GET", "/endpoints").body;
  const std::vector<std::string> prefillHosts = hosts(prefill.ports());
  const std::vector<std::string> decodeHosts = hosts(decode.ports());
  EnvoyClient client(eppd_->extprocTarget());

  // 1024 characters = 256 tokens, all new: far above nonCachedTokens (16).
  const std::string longPrompt = prompt(1024, 1);
  RequestResult first = client.process(chat(longPrompt));
  EXPECT_THAT(first.violations, ::testing::IsEmpty());
  ASSERT_TRUE(first.routed) << first.immediateBody;
  EXPECT_THAT(first.destination, AnyOfArray(decodeHosts));
  ASSERT_NE(first.setHeader("x-prefiller-host-port"), nullptr);
  EXPECT_THAT(*first.setHeader("x-prefiller-host-port"), AnyOfArray(prefillHosts));

  // 3 tokens: decode-only, no header at all.
  RequestResult shortOne = client.process(chat("Hi there!"));
  ASSERT_TRUE(shortOne.routed) << shortOne.immediateBody;
  EXPECT_THAT(shortOne.destination, AnyOfArray(decodeHosts));
  EXPECT_EQ(shortOne.setHeader("x-prefiller-host-port"), nullptr);

  // The same long prompt again: the decode server that computed it holds every block
  // (1024 characters are whole blocks), the prefix-cache scorer sends the request back there,
  // and nothing is left worth a prefill.
  RequestResult again = client.process(chat(longPrompt));
  ASSERT_TRUE(again.routed) << again.immediateBody;
  EXPECT_EQ(again.destination, first.destination);
  EXPECT_EQ(again.setHeader("x-prefiller-host-port"), nullptr);

  // A different long prompt is new everywhere: prefilled elsewhere again.
  RequestResult other = client.process(chat(prompt(1024, 2)));
  ASSERT_TRUE(other.routed) << other.immediateBody;
  EXPECT_THAT(other.destination, AnyOfArray(decodeHosts));
  ASSERT_NE(other.setHeader("x-prefiller-host-port"), nullptr);
  EXPECT_THAT(*other.setHeader("x-prefiller-host-port"), AnyOfArray(prefillHosts));

  std::cout << "[ pd      ] decision time: prefill-decode "
            << std::chrono::duration<double, std::milli>(first.timeToDecision).count()
            << " ms, decode-only (cached) "
            << std::chrono::duration<double, std::milli>(again.timeToDecision).count() << " ms\n";
  const std::string family = "llm_d_inference_scheduler_disagg_decision_total";
  EXPECT_EQ(sampleSum(eppd_->metricsPort(), family, R"(decision_type="prefill-decode")"), 2);
  EXPECT_EQ(sampleSum(eppd_->metricsPort(), family, R"(decision_type="decode-only")"), 2);
}

}  // namespace
}  // namespace epp::testing

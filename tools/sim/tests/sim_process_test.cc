// The eppd-sim binary as a child process: --count servers with their own engines, the
// ready file, --crash-after ending the process, and refused flags.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tools/sim/tests/http_client.h"

extern char** environ;

namespace epp::sim {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

class SimProcess {
 public:
  explicit SimProcess(std::vector<std::string> args) {
    dir_ = fs::temp_directory_path() /
           ("eppd-sim-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(dir_);
    args.insert(args.begin(), EPPD_SIM_PATH);
    args.push_back("--ready-file");
    args.push_back((dir_ / "ready.json").string());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string out = (dir_ / "out").string(), err = (dir_ / "err").string();
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~SimProcess() {
    if (pid_ > 0 && exitCode_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // The ports from the ready file, once written (empty after the deadline).
  std::vector<int> ports(double seconds = 10) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(dir_ / "ready.json");
      std::stringstream ss;
      ss << in.rdbuf();
      if (!ss.str().empty()) return json::parse(ss.str())["ports"].get<std::vector<int>>();
      if (exited(0)) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {};
  }

  // Waits up to `seconds` for the process to end; true if it did (exitCode() tells how).
  bool exited(double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    do {
      int status = 0;
      if (exitCode_ >= 0) return true;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }
  int exitCode() const { return exitCode_; }
  std::string stream(const char* name) const {
    std::ifstream in(dir_ / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void terminate() { ::kill(pid_, SIGTERM); }

 private:
  static inline int counter_ = 0;
  fs::path dir_;
  pid_t pid_ = -1;
  int exitCode_ = -1;
};

const std::string kRequest = R"({"model":"sim-model","prompt":"hello","max_tokens":2})";

TEST(SimProcess, CountStartsIndependentServersAndStopsOnSigterm) {
  SimProcess sim({"--port", "0", "--count", "3", "--time-scale", "100"});
  const auto ports = sim.ports();
  ASSERT_EQ(ports.size(), 3u) << sim.stream("err");
  EXPECT_NE(sim.stream("out").find("eppd-sim ready: 3 server(s), dialect vllm"), std::string::npos);
  for (int p : ports) EXPECT_EQ(testing::httpCall(p, "GET", "/health").status, 200);
  ASSERT_EQ(testing::httpCall(ports[0], "POST", "/v1/completions", kRequest).status, 200);
  auto first = testing::parseSamples(testing::httpCall(ports[0], "GET", "/metrics").body);
  auto second = testing::parseSamples(testing::httpCall(ports[1], "GET", "/metrics").body);
  EXPECT_EQ(testing::sampleValue(first, "vllm:request_success_total"), 1.0);
  EXPECT_EQ(testing::sampleValue(second, "vllm:request_success_total"), 0.0);
  sim.terminate();
  ASSERT_TRUE(sim.exited(10));
  EXPECT_EQ(sim.exitCode(), 0);
}

TEST(SimProcess, CrashAfterServesNThenDropsConnectionsAndExits) {
  SimProcess sim({"--port", "0", "--time-scale", "100", "--crash-after", "2"});
  const auto ports = sim.ports();
  ASSERT_EQ(ports.size(), 1u) << sim.stream("err");
  EXPECT_EQ(testing::httpCall(ports[0], "POST", "/v1/completions", kRequest).status, 200);
  EXPECT_EQ(testing::httpCall(ports[0], "POST", "/v1/completions", kRequest).status, 200);
  EXPECT_EQ(testing::httpCall(ports[0], "POST", "/v1/completions", kRequest).status, 0);
  ASSERT_TRUE(sim.exited(10));
  EXPECT_EQ(sim.exitCode(), 3);
  EXPECT_NE(sim.stream("err").find("crashed as asked (--crash-after 2)"), std::string::npos);
}

TEST(SimProcess, RefusesUnknownDialectAndBadOptions) {
  SimProcess dialect({"--port", "0", "--dialect", "nope"});
  ASSERT_TRUE(dialect.exited(10));
  EXPECT_EQ(dialect.exitCode(), 2);
  EXPECT_NE(dialect.stream("err").find("unknown --dialect 'nope' (one of vllm, sglang"),
            std::string::npos);
  SimProcess blocks({"--port", "0", "--num-gpu-blocks", "0"});
  ASSERT_TRUE(blocks.exited(10));
  EXPECT_EQ(blocks.exitCode(), 1);
  EXPECT_NE(blocks.stream("err").find("numBlocks must be ≥ 1"), std::string::npos);
  SimProcess metrics({"--port", "0", "--metrics-fault", "sometimes"});
  ASSERT_TRUE(metrics.exited(10));
  EXPECT_EQ(metrics.exitCode(), 2);
  EXPECT_NE(metrics.stream("err").find("--metrics-fault must be ok, garbage or error"),
            std::string::npos);
}

TEST(SimProcess, FaultFlagsAndEndpointReachTheServers) {
  SimProcess sim({"--port", "0", "--count", "2", "--time-scale", "100", "--metrics-fault",
                  "garbage", "--health-status", "503"});
  const auto ports = sim.ports();
  ASSERT_EQ(ports.size(), 2u) << sim.stream("err");
  for (int p : ports) {
    EXPECT_EQ(testing::httpCall(p, "GET", "/health").status, 503);
    EXPECT_NE(testing::httpCall(p, "GET", "/metrics").body.find("502 Bad Gateway"),
              std::string::npos);
  }
  // The endpoint switches one server back; its neighbour keeps the flags' faults.
  ASSERT_EQ(testing::httpCall(ports[0], "POST", "/sim/fault", "{}").status, 200);
  EXPECT_EQ(testing::httpCall(ports[0], "GET", "/health").status, 200);
  EXPECT_TRUE(testing::sampleValue(
      testing::parseSamples(testing::httpCall(ports[0], "GET", "/metrics").body),
      "vllm:num_requests_waiting"));
  EXPECT_EQ(testing::httpCall(ports[1], "GET", "/health").status, 503);
}

}  // namespace
}  // namespace epp::sim

#include "tests/integration/sim_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/integration/eppd_process.h"

namespace epp::testing {
namespace {

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

SimProcess::SimProcess(const std::filesystem::path& dir, int count,
                       std::vector<std::string> extraArgs, int port)
    : dir_(dir) {
  static int started = 0;  // several simulators may share a directory
  name_ = "sim-" + std::to_string(++started);
  const std::string ready = (dir / (name_ + "-ready.json")).string();
  std::vector<std::string> args = {
      EPPD_SIM_PATH,  "--count", std::to_string(count), "--port", std::to_string(port),
      "--time-scale", "10",      "--ready-file",        ready};
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = (dir / (name_ + ".log")).string();
  pid_ = ::fork();
  if (pid_ == 0) {
    std::freopen(log.c_str(), "w", stdout);
    std::freopen(log.c_str(), "a", stderr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 200 && ports_.empty(); ++i) {
    std::string text = readFile(ready);
    if (!text.empty()) {
      nlohmann::json j = nlohmann::json::parse(text);  // named: outlives the loop
      for (int p : j["ports"]) ports_.push_back(p);
      if (j.contains("kvEventsPorts")) {
        for (int p : j["kvEventsPorts"]) kvPorts_.push_back(p);
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

SimProcess::~SimProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

void SimProcess::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

std::string SimProcess::log() const { return readFile(dir_ / (name_ + ".log")); }

double SimProcess::metric(int port, const std::string& name) {
  std::istringstream lines(httpRequest(port, "GET", "/metrics").body);
  double sum = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name, 0) == 0 && (line[name.size()] == ' ' || line[name.size()] == '{')) {
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return sum;
}

}  // namespace epp::testing

#include "tests/deploy/serve_args.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

namespace epp::testing {
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ServeWithArgs::ServeWithArgs(const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& paths) {
  std::string pattern = (fs::temp_directory_path() / "eppd-deploy-XXXXXX").string();
  dir_ = ::mkdtemp(pattern.data());
  const std::set<std::string> portFlags = {"--extproc-port", "--health-port", "--metrics-port",
                                           "--admin-port"};
  argv_ = {EPPD_PATH, "serve"};
  bool adminPort = false;
  for (size_t i = 0; i < args.size(); ++i) {
    argv_.push_back(args[i]);
    if (i + 1 >= args.size()) break;
    if (portFlags.count(args[i]) != 0) {
      adminPort = adminPort || args[i] == "--admin-port";
      argv_.push_back("0");
      ++i;
    } else if (auto it = paths.find(args[i]); it != paths.end()) {
      argv_.push_back(it->second);
      ++i;
    }
  }
  if (!adminPort) argv_.insert(argv_.end(), {"--admin-port", "0"});
  fs::path ready = dir_ / "ready.json";
  argv_.insert(argv_.end(), {"--ready-file", ready.string()});

  pid_ = ::fork();
  if (pid_ == 0) {
    int err = ::open((dir_ / "log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, 1);
    ::dup2(err, 2);
    std::vector<char*> cargv;
    for (auto& a : argv_) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(ready)) {
      auto doc = nlohmann::json::parse(slurp(ready), nullptr, false);
      if (!doc.is_discarded()) {
        extprocPort_ = doc["extprocPort"];
        healthPort_ = doc["healthPort"];
        metricsPort_ = doc["metricsPort"];
        return;
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "eppd exited: " + slurp(dir_ / "log");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error_ = "eppd did not serve within 15 s: " + slurp(dir_ / "log");
}

ServeWithArgs::~ServeWithArgs() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::string> execStartWords(const std::string& unitText) {
  std::string joined;
  std::istringstream lines(unitText);
  std::string line;
  bool inExec = false;
  while (std::getline(lines, line)) {
    if (!inExec && line.rfind("ExecStart=", 0) == 0) {
      inExec = true;
      line = line.substr(10);
    } else if (!inExec) {
      continue;
    }
    bool continued = !line.empty() && line.back() == '\\';
    joined += (continued ? line.substr(0, line.size() - 1) : line) + " ";
    if (!continued) break;
  }
  std::vector<std::string> words;
  std::istringstream ws(joined);
  for (std::string w; ws >> w;) words.push_back(w);
  return words;
}

}  // namespace epp::testing

#include "tests/deploy/serve_args.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/integration/eppd_process.h"

namespace epp::testing {
namespace fs = std::filesystem;

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

  pid_ = spawnLogged(argv_, dir_ / "log");
  nlohmann::json doc = awaitReadyFile(ready, pid_, std::chrono::seconds(15));
  if (!doc.is_null()) {
    extprocPort_ = doc["extprocPort"];
    healthPort_ = doc["healthPort"];
    metricsPort_ = doc["metricsPort"];
    return;
  }
  if (pid_ < 0) {
    error_ = "eppd exited: " + slurp(dir_ / "log");
    return;
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

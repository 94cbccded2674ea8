#include "tests/integration/eppd_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace epp::testing {
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t spawnLogged(std::vector<std::string> argv, const fs::path& logFile) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  return pid;
}

nlohmann::json awaitReadyFile(const fs::path& readyFile, pid_t& pid,
                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(readyFile)) {
      auto doc = nlohmann::json::parse(slurp(readyFile), nullptr, false);
      if (!doc.is_discarded()) return doc;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return nullptr;
}

namespace {

fs::path makeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "eppd-it-XXXXXX").string();
  return ::mkdtemp(pattern.data());
}

}  // namespace

HttpResponse httpRequest(int port, const std::string& method, const std::string& path,
                         const std::string& body, const std::vector<std::string>& headers,
                         const std::string& address) {
  HttpResponse out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  std::string extra;
  for (const auto& line : headers) extra += line + "\r\n";
  std::string req =
      method + " " + path + " HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n" + extra +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  ::send(fd, req.data(), req.size(), 0);
  std::string raw;
  char buf[16384];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (raw.size() > 12) out.status = std::atoi(raw.substr(9, 3).c_str());
  size_t split = raw.find("\r\n\r\n");
  if (split != std::string::npos) {
    out.headers = raw.substr(0, split);
    out.body = raw.substr(split + 4);
  }
  return out;
}

EppdProcess::EppdProcess(const std::string& configYaml, std::vector<std::string> extraArgs)
    : dir_(makeTempDir()) {
  std::ofstream(dir_ / "config.yaml") << configYaml;
  fs::path ready = dir_ / "ready.json";
  std::vector<std::string> args = {EPPD_PATH,         "serve",
                                   "--config",        (dir_ / "config.yaml").string(),
                                   "--plugin-cache",  (dir_ / "cache").string(),
                                   "--extproc-port",  "0",
                                   "--health-port",   "0",
                                   "--metrics-port",  "0",
                                   "--admin-port",    "0",
                                   "--drain-seconds", "2",
                                   "--ready-file",    ready.string()};
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  pid_ = spawnLogged(std::move(args), dir_ / "stderr");
  nlohmann::json doc = awaitReadyFile(ready, pid_, std::chrono::seconds(20));
  if (!doc.is_null()) {
    extprocPort_ = doc["extprocPort"];
    healthPort_ = doc["healthPort"];
    adminPort_ = doc["adminPort"];
    metricsPort_ = doc["metricsPort"];
    return;
  }
  if (pid_ < 0) {
    error_ = "eppd exited before serving: " + log();
    return;
  }
  error_ = "eppd did not become ready in 20 s: " + log();
}

EppdProcess::~EppdProcess() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string EppdProcess::log() const { return slurp(dir_ / "stderr"); }

int EppdProcess::setEndpointState(const std::string& json) const {
  return httpRequest(adminPort_, "POST", "/endpoints/state", json).status;
}

double EppdProcess::metric(const std::string& sample) const {
  std::string text = httpRequest(metricsPort_, "GET", "/metrics").body;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > sample.size() && line.compare(0, sample.size(), sample) == 0 &&
        line[sample.size()] == ' ') {
      return std::stod(line.substr(sample.size() + 1));
    }
  }
  return -1;
}

double EppdProcess::awaitMetric(const std::string& sample, double value,
                                std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  double v = metric(sample);
  while (v != value && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    v = metric(sample);
  }
  return v;
}

int EppdProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

RunResult runEppd(const std::string& args) {
  fs::path dir = makeTempDir();
  std::string cmd = std::string(EPPD_PATH) + " " + args + " >" + (dir / "out").string() + " 2>" +
                    (dir / "err").string();
  int status = std::system(cmd.c_str());
  RunResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "out"), slurp(dir / "err")};
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

}  // namespace epp::testing

// File: tests/integration/eppd_process.h
//
// The real eppd binary as a child process for integration tests: writes the config to a
// temporary directory, starts `eppd serve` on free ports with --ready-file, waits until it
// serves, and stops it with SIGTERM. Plus a minimal HTTP/1.1 client for the admin and
// /metrics endpoints (both answer with Connection: close).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace epp::testing {

struct HttpResponse {
  int status = 0;       // 0: no connection
  std::string headers;  // the status line and header lines, as received
  std::string body;
};

// GET or POST http://<address>:port/path; `headers` are extra "Name: value" lines.
HttpResponse httpRequest(int port, const std::string& method, const std::string& path,
                         const std::string& body = "", const std::vector<std::string>& headers = {},
                         const std::string& address = "127.0.0.1");

// Starts `argv` (argv[0] a path) with stdout and stderr written to `logFile`; its pid.
pid_t spawnLogged(std::vector<std::string> argv, const std::filesystem::path& logFile);

// The JSON `eppd serve --ready-file` wrote to `readyFile`, once it is there, or null: when the
// process `pid` exits first (pid is then set to -1) or after `timeout`.
nlohmann::json awaitReadyFile(const std::filesystem::path& readyFile, pid_t& pid,
                              std::chrono::milliseconds timeout);

// The whole content of a file ("" when it cannot be read).
std::string slurp(const std::filesystem::path& p);

class EppdProcess {
 public:
  // Starts eppd with `configYaml` (written to <tmp>/config.yaml) and extra arguments.
  // ASSERT-style failure: started() is false and error() says why (with eppd's stderr).
  explicit EppdProcess(const std::string& configYaml, std::vector<std::string> extraArgs = {});
  ~EppdProcess();
  EppdProcess(const EppdProcess&) = delete;
  EppdProcess& operator=(const EppdProcess&) = delete;

  bool started() const { return extprocPort_ > 0; }
  const std::string& error() const { return error_; }
  std::string extprocTarget() const { return "127.0.0.1:" + std::to_string(extprocPort_); }
  std::string healthTarget() const { return "127.0.0.1:" + std::to_string(healthPort_); }
  int adminPort() const { return adminPort_; }
  int metricsPort() const { return metricsPort_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& dir() const { return dir_; }
  // Everything eppd wrote to stderr so far.
  std::string log() const;

  // POST /endpoints/state for one endpoint; returns the HTTP status.
  int setEndpointState(const std::string& json) const;
  // The value of one sample line of /metrics ("name{labels}" exactly), or -1 when absent.
  double metric(const std::string& sample) const;
  // metric(sample) once it equals `value`, or its last value after `timeout`. Counters a
  // stream's end updates are written after the client saw the end, so tests poll.
  double awaitMetric(const std::string& sample, double value,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  // Sends SIGTERM and waits; returns eppd's exit code.
  int stop();

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int extprocPort_ = 0;
  int healthPort_ = 0;
  int adminPort_ = 0;
  int metricsPort_ = 0;
  std::string error_;
};

// Runs eppd with `args` to completion: exit code, stdout, stderr.
struct RunResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};
RunResult runEppd(const std::string& args);

}  // namespace epp::testing

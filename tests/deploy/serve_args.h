// File: tests/deploy/serve_args.h
//
// Runs `eppd serve` with the arguments a deployment file gives it (the Helm chart's
// container args, the systemd unit's ExecStart), so the test proves eppd accepts them as
// written. Only values that name the deployment's machine are replaced: each path a flag
// takes (--config, --plugin-dir, --plugin-cache, --tls-cert-file, …) by the test's own file
// or directory, each
// port by 0; --admin-port 0 and --ready-file are added. Flags, their order and every other
// value are passed unchanged, so an unknown or malformed flag fails the test.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace epp::testing {

class ServeWithArgs {
 public:
  // `args` starts after `eppd serve`; `paths` maps a path flag to the test's value.
  ServeWithArgs(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& paths);
  ~ServeWithArgs();  // SIGTERM, then waits
  ServeWithArgs(const ServeWithArgs&) = delete;
  ServeWithArgs& operator=(const ServeWithArgs&) = delete;

  bool serving() const { return healthPort_ > 0; }
  const std::string& error() const { return error_; }
  std::string healthTarget() const { return "127.0.0.1:" + std::to_string(healthPort_); }
  std::string extprocTarget() const { return "127.0.0.1:" + std::to_string(extprocPort_); }
  int metricsPort() const { return metricsPort_; }
  pid_t pid() const { return pid_; }
  // The command line that ran, for failure messages.
  const std::vector<std::string>& argv() const { return argv_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int extprocPort_ = 0;
  int healthPort_ = 0;
  int metricsPort_ = 0;
  std::string error_;
};

// The words of a systemd ExecStart= value (backslash-newline continuations joined,
// whitespace-separated; the unit files here use no quoting).
std::vector<std::string> execStartWords(const std::string& unitText);

}  // namespace epp::testing

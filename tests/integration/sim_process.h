// File: tests/integration/sim_process.h
//
// eppd-sim as a child process: `count` simulated servers on free ports (read from its
// --ready-file), stopped with SIGTERM when the object goes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace epp::testing {

class SimProcess {
 public:
  // Starts EPPD_SIM_PATH --count `count` --port `port` --time-scale 10 `extraArgs`, logging
  // to `dir`/sim-<port>.log. ports() is empty when it did not come up within 10 s.
  SimProcess(const std::filesystem::path& dir, int count, std::vector<std::string> extraArgs = {},
             int port = 0);
  ~SimProcess();  // SIGTERM, then waits
  // SIGKILL, as a crash would; ports() stays as it was.
  void kill();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  const std::vector<int>& ports() const { return ports_; }
  // KV-event publisher ports (with --kv-events-port), parallel to ports().
  const std::vector<int>& kvEventsPorts() const { return kvPorts_; }
  std::string log() const;
  // A metric of one server's /metrics summed over its series, by family name.
  static double metric(int port, const std::string& name);

 private:
  std::filesystem::path dir_;
  std::string name_;
  pid_t pid_ = -1;
  std::vector<int> ports_;
  std::vector<int> kvPorts_;
};

}  // namespace epp::testing

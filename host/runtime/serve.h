// File: host/runtime/serve.h
//
// `eppd serve`: load the config, start the ext_proc and health listeners, /metrics and the
// admin view, report readiness, and run until SIGTERM or SIGINT, then drain. Meanwhile
// the config and plugins hot-reload (reload_controller.h) on file changes, SIGHUP and
// POST /reload.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "host/runtime/config_loader.h"

namespace epp::runtime {

struct ServeOptions {
  LoadOptions load;
  // Override the config's `server:` ports when set; 0 picks a free port.
  std::optional<int> extprocPort, healthPort, metricsPort, adminPort;
  std::optional<std::string> adminAddress;
  // Override the config's `server:` settings of the same name when set.
  std::optional<std::string> metricsAddress;
  std::optional<std::string> tlsCertFile, tlsKeyFile, tlsClientCaFile;
  std::optional<std::string> adminTokenFile;
  // When set, written (JSON: ports and pid) once every listener is up: how scripts and
  // tests learn the ports eppd picked.
  std::string readyFile;
  int drainSeconds = 10;
  // Reload on config and plugin file changes (SIGHUP and POST /reload work regardless).
  bool watch = true;
  // Quiet period after the last file change (or SIGHUP) before reloading.
  int reloadDebounceMs = 200;
};

// Returns the process exit code.
int serve(const ServeOptions& options);

}  // namespace epp::runtime

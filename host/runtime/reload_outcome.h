// File: host/runtime/reload_outcome.h
//
// What one reload attempt did, as /config (`lastReload`), POST /reload and the log report it.
#pragma once

#include <cstdint>
#include <string>

namespace epp::runtime {

struct ReloadOutcome {
  std::string result;   // "success", "failure" or "unchanged"
  std::string error;    // failure: every reason, one per line, with file:line:col
  std::string trigger;  // "inotify: /etc/eppd/..data", "SIGHUP", "POST /reload", …
  int64_t atWallMs = 0;
  uint64_t generation = 0;          // the live generation after the attempt
  uint64_t previousGeneration = 0;  // before it
  double seconds = 0;               // from the start of the attempt to publish
  // success: instances carried over with their state, out of all instances.
  size_t carriedOver = 0;
  size_t instances = 0;
};

}  // namespace epp::runtime

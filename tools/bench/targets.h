// File: tools/bench/targets.h
//
// What eppd-bench is pointed at, from its command line: host:port addresses, the fleet
// list, and --run specs ("name=eppd,target=127.0.0.1:9002" or "name=round-robin,direct").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/common/result.h"

namespace epp::bench {

struct HostPort {
  std::string host;  // an IP literal (IPv6 without brackets) or a name
  uint16_t port = 0;
  // "host:port", "[v6]:port"
  std::string str() const;
  bool operator==(const HostPort&) const = default;
};

// "127.0.0.1:8000", "[::1]:8000", "localhost:8000".
common::Result<HostPort> parseHostPort(std::string_view text);
// "a:1,b:2": at least one, no duplicates.
common::Result<std::vector<HostPort>> parseFleet(std::string_view text);

struct RunTarget {
  std::string name;
  bool direct = false;  // round-robin over the fleet, no ext_proc
  HostPort target;      // eppd's ext_proc address, unless direct
  int pid = 0;          // the target's process, when given: its CPU time is reported
};

// "name=NAME,target=HOST:PORT[,pid=PID]" or "name=NAME,direct"; name defaults to "eppd" /
// "round-robin".
common::Result<RunTarget> parseRunTarget(std::string_view text);

}  // namespace epp::bench

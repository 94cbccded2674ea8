// File: tools/replay/virtual_clock.h
//
// Virtual time for a replay: while a VirtualClock exists, the host's monotonic clock (and so
// every plugin's epp_host_api.now_ns) reads the time the replay last set, not the machine's.
// Process-wide: one VirtualClock at a time.
#pragma once

#include <cstdint>

namespace epp::replay {

class VirtualClock {
 public:
  // Installs the hook; the clock starts at `startNs`.
  explicit VirtualClock(int64_t startNs);
  ~VirtualClock();  // restores the machine's clock
  VirtualClock(const VirtualClock&) = delete;
  VirtualClock& operator=(const VirtualClock&) = delete;

  void set(int64_t ns);
  int64_t now() const;
};

}  // namespace epp::replay

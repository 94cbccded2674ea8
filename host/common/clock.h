// File: host/common/clock.h
//
// The host's clocks. The monotonic clock can be replaced process-wide so `eppd replay`
// can run plugins on virtual time; everything (including plugins, through
// epp_host_api.now_ns) reads time through here.
#pragma once

#include <cstdint>

namespace epp::common {

using MonotonicClockFn = int64_t (*)();

// Nanoseconds of std::chrono::steady_clock, or of the installed hook.
int64_t monotonicNowNs();
// Nanoseconds since the Unix epoch (never virtualised: it is only used for display).
int64_t wallTimeNs();
// Installs `hook` as the monotonic clock; nullptr restores steady_clock.
void setMonotonicClockHook(MonotonicClockFn hook);

}  // namespace epp::common

#include "host/common/clock.h"

#include <atomic>
#include <chrono>

namespace epp::common {
namespace {

std::atomic<MonotonicClockFn> g_hook{nullptr};

}  // namespace

int64_t monotonicNowNs() {
  if (MonotonicClockFn hook = g_hook.load(std::memory_order_acquire)) return hook();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t wallTimeNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void setMonotonicClockHook(MonotonicClockFn hook) { g_hook.store(hook, std::memory_order_release); }

}  // namespace epp::common

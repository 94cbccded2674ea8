#include "tools/replay/virtual_clock.h"

#include <atomic>
#include <stdexcept>

#include "host/common/clock.h"

namespace epp::replay {
namespace {

std::atomic<int64_t> g_now{0};
std::atomic<bool> g_installed{false};

int64_t virtualNow() { return g_now.load(std::memory_order_relaxed); }

}  // namespace

VirtualClock::VirtualClock(int64_t startNs) {
  if (g_installed.exchange(true)) throw std::logic_error("a VirtualClock is already installed");
  g_now.store(startNs);
  common::setMonotonicClockHook(&virtualNow);
}

VirtualClock::~VirtualClock() {
  common::setMonotonicClockHook(nullptr);
  g_installed.store(false);
}

void VirtualClock::set(int64_t ns) { g_now.store(ns, std::memory_order_relaxed); }

int64_t VirtualClock::now() const { return virtualNow(); }

}  // namespace epp::replay

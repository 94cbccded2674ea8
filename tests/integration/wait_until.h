// File: tests/integration/wait_until.h
//
// Polls `done` every `poll` until it returns true or `timeout` passes; returns its last
// answer. For integration tests that wait on a child process's state (a metric, a route).
#pragma once

#include <chrono>
#include <thread>

namespace epp::testing {

template <class F>
bool waitUntil(F&& done, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(poll);
  }
  return done();
}

}  // namespace epp::testing

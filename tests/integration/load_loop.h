// File: tests/integration/load_loop.h
//
// Steady ext_proc traffic for tests that change eppd under load: N threads, each with its
// own channel, send small chat requests back to back (every other one also plays a short
// response, so streams hold their snapshot across the response path) and count every
// outcome. A request counts as failed unless it was routed, its stream ended OK, and the
// exchange had no protocol violation.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace epp::testing {

class LoadLoop {
 public:
  LoadLoop(const std::string& target, int threads);
  ~LoadLoop();
  LoadLoop(const LoadLoop&) = delete;
  LoadLoop& operator=(const LoadLoop&) = delete;

  // Waits for every thread to finish its request in flight.
  void stop();

  uint64_t sent() const { return sent_.load(); }
  uint64_t routed() const { return routed_.load(); }
  uint64_t failed() const { return failed_.load(); }
  // The first few failures, described.
  std::vector<std::string> failures() const;

 private:
  void run(const std::string& target, int thread);

  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> routed_{0};
  std::atomic<uint64_t> failed_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> failures_;
  std::vector<std::thread> threads_;
};

}  // namespace epp::testing

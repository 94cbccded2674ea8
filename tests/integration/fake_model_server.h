// File: tests/integration/fake_model_server.h
//
// A minimal OpenAI-style model server for tests of eppd-bench, until the simulator lands:
// POST /v1/chat/completions and /v1/completions answer with `max_tokens` tokens, as SSE
// (chunked, one event per token, a usage event with include_usage) or as one JSON body;
// GET /metrics exposes vllm:prefix_cache_{queries,hits}_total from a toy prefix cache
// (64-character blocks, 16 tokens each); POST /sim/reset answers 404 like a real vLLM.
// Keep-alive HTTP/1.1, one thread per connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace epp::testing {

class FakeModelServer {
 public:
  explicit FakeModelServer(std::chrono::microseconds tokenDelay = std::chrono::microseconds(500));
  ~FakeModelServer();
  FakeModelServer(const FakeModelServer&) = delete;
  FakeModelServer& operator=(const FakeModelServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  uint64_t completions() const { return completions_.load(); }
  uint64_t connections() const { return connections_.load(); }

 private:
  void acceptLoop();
  void serve(int fd);
  // Returns the cached tokens of this prompt and records its blocks.
  uint64_t lookupPrefix(const std::string& prompt);

  std::chrono::microseconds tokenDelay_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> completions_{0};
  std::atomic<uint64_t> connections_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
  std::set<uint64_t> blocks_;
  double queries_ = 0;
  double hits_ = 0;
};

}  // namespace epp::testing

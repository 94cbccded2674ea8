// File: tools/sim/sim_server.h
//
// One simulated model server: an Engine driven in real time (scaled) behind an
// OpenAI-compatible HTTP API, with /metrics in a chosen engine's dialect and fault
// injection. Each server runs on its own thread and io_context; several can share a
// process (eppd-sim --count N).
//
//   POST /v1/chat/completions, /v1/completions   JSON, or SSE with "stream": true
//   GET  /v1/models
//   GET  /metrics            (trtllm-serve: /prometheus/metrics; /metrics is JSON stats)
//   GET  /health             200, or 503 while "loading" (--load-seconds)
//   POST /sim/reset          empties the prefix cache, zeroes counters and histograms
//   GET, POST /sim/fault     the faults switched on now; POST sets them (fault_options.h)
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/common/result.h"
#include "tools/sim/engine/engine_options.h"
#include "tools/sim/fault_options.h"
#include "tools/sim/metrics_dialects.h"

namespace epp::sim {

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 8000;  // 0 = any free port
  std::string model = "sim-model";
  std::vector<std::string> loras;  // adapter names served besides the base model
  Dialect dialect = Dialect::kVllm;
  KvUsageMetric kvUsage = KvUsageMetric::kCurrent;
  double timeScale = 1.0;          // virtual seconds per wall second
  int32_t defaultMaxTokens = 128;  // output length when a request sets no max_tokens
  EngineOptions engine;
  FaultOptions faults;
  // Publish KV-cache events (vLLM's ZeroMQ wire format) on this port; 0 = any free port,
  // unset = no events.
  std::optional<int> kvEventsPort;
};

class SimServer {
 public:
  // Binds and starts serving on a thread of its own.
  static common::Result<std::unique_ptr<SimServer>> start(ServerOptions options);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  int port() const;
  // The KV-event publisher's port; 0 when events are off.
  int kvEventsPort() const;
  // True once --crash-after fired: the listener and every connection are closed.
  bool crashed() const;

  class Impl;

 private:
  explicit SimServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace epp::sim

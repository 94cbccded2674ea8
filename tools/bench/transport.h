// File: tools/bench/transport.h
//
// `eppd-bench transport`: the ext_proc conversation alone, as Envoy holds it, with no model
// server behind it — request headers, the body, the held routing reply and the echoed
// body, then a short response (headers, one body message) and its echoes — against each
// target in turn with the same client, bodies and load. The first target is the baseline
// (tests/bench's null ext_proc server: the same transport answering one fixed endpoint
// without deciding anything); every other is reported as a ratio to it:
//   saturation  `concurrency` streams kept in flight (a closed loop): streams per second;
//   latency     one stream at a time: routing latency (start of stream to the routing
//               reply) and whole-stream latency, p50 / p99;
//   server CPU  when the run names its pid: the server's CPU time per stream (user +
//               system, from /proc), which does not depend on who saturated first; and
//               the CPU it uses with no stream at all (eppd scrapes its endpoints), measured
//               first, so the marginal CPU per stream is the total less that.
// Targets alternate phase by phase, `rounds` times, so a noisy neighbour hits all alike.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "host/common/result.h"
#include "tools/bench/targets.h"

namespace epp::bench {

struct TransportOptions {
  std::vector<RunTarget> targets;  // the first is the baseline
  size_t bodyBytes = 4096;
  size_t concurrency = 64;
  std::chrono::milliseconds phase{5000};
  int rounds = 3;
  size_t chunkBytes = 64 * 1024;
};

struct TransportPhase {
  double seconds = 0;
  uint64_t streams = 0;  // completed conversations
  uint64_t errors = 0;
  std::string firstError;
  double serverCpuSeconds = -1;  // -1: no pid given
  std::vector<double> routeUs;   // per stream: start to routing reply
  std::vector<double> streamUs;  // per stream: start to the stream's end
};

struct TransportResult {
  std::string name;
  double idleCpuPerSecond = -1;           // CPU seconds per second with no stream; -1: no pid
  std::vector<TransportPhase> saturated;  // one per round
  std::vector<TransportPhase> single;
};

common::Result<std::vector<TransportResult>> runTransport(const TransportOptions& options);

// The table, each run against the first.
std::string formatTransport(const TransportOptions& options,
                            const std::vector<TransportResult>& results);

}  // namespace epp::bench

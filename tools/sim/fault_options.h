// File: tools/sim/fault_options.h
//
// The faults a simulated server injects: from its flags at start, and switched on or off
// while it runs through POST /sim/fault, whose JSON body sets the whole runtime fault state
// at once (a key left out is off, so `{}` clears every fault):
//
//   {"errorRate": 0.5,          completions answered 500 with this probability
//    "metrics": "garbage",      /metrics answers text no Prometheus parser accepts
//                               ("error": HTTP 500; "ok": normal)
//    "metricsDelayMs": 300,     every /metrics answer waits this long
//    "healthStatus": 503,       /health answers this status (0: normal)
//    "stallSeconds": 10}        the engine stands still from now for this long (not kept
//                               as state: a stall runs its course, `{}` does not end it)
//
// The count-based faults (--stall-after, --crash-after, --load-seconds) are flags only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/common/result.h"

namespace epp::sim {

enum class MetricsFault { kNone, kGarbage, kError };

std::optional<MetricsFault> parseMetricsFault(std::string_view name);  // ok|none, garbage, error
std::string_view metricsFaultName(MetricsFault fault);                 // ok, garbage, error

struct FaultOptions {
  double errorRate = 0;        // fraction of completion requests answered with a 500
  int64_t stallAfter = 0;      // after this many completion requests the engine stalls
  double stallSeconds = 5;     // ... for this long (wall time); 0 = never
  int64_t metricsDelayMs = 0;  // every /metrics answer waits this long
  int64_t crashAfter = 0;      // serve this many completion requests, die on the next
  double loadSeconds = 0;      // /health and completions answer 503 for this long at start
  MetricsFault metrics = MetricsFault::kNone;
  int healthStatus = 0;  // /health answers this (0: 200, or 503 while loading)
};

// A POST /sim/fault body, checked: unknown keys, wrong types and values out of range are
// errors naming the key.
struct FaultUpdate {
  double errorRate = 0;
  int64_t metricsDelayMs = 0;
  MetricsFault metrics = MetricsFault::kNone;
  int healthStatus = 0;
  double stallSeconds = 0;  // > 0: stall now
};

common::Result<FaultUpdate> parseFaultUpdate(std::string_view body);

// Sets the runtime-switchable faults of `faults` (not stallSeconds: that one is a flag's
// length of the --stall-after stall; the caller starts the update's stall itself).
void applyFaultUpdate(const FaultUpdate& update, FaultOptions& faults);

// What GET and POST /sim/fault answer: the runtime fault state, and whether the engine is
// stalled now.
std::string faultStateJson(const FaultOptions& faults, bool stalled);

// The body /metrics answers under MetricsFault::kGarbage: a few plausible lines, then a
// label set left open, binary bytes, a count that is negative and a gauge out of range —
// deterministic, so a test can show what a scraper makes of it.
std::string_view garbageMetricsText();

}  // namespace epp::sim

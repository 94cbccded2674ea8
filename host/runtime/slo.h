// File: host/runtime/slo.h
//
// Per-request latency objectives: headers x-slo-ttft-ms (time to first token) and
// x-slo-tpot-ms (time per output token after the first), read when the request arrives,
// kept in its decision record, and checked against what the response path measures:
// eppd_slo_requests_total{model_name, profile, slo, outcome} counts each request once per
// objective it carried (outcome met, missed, or unmeasured when the response gave no way
// to tell: it failed, or its usage did not say how many tokens came out).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/extproc/headers.h"

namespace epp::runtime {

inline constexpr char kSloTtftHeader[] = "x-slo-ttft-ms";
inline constexpr char kSloTpotHeader[] = "x-slo-tpot-ms";

struct SloTargets {
  std::optional<double> ttftMs;
  std::optional<double> tpotMs;
  bool any() const { return ttftMs || tpotMs; }
};

// Reads the two headers. A value that is not a positive number is ignored: logged with the
// request id and counted in eppd_slo_invalid_headers_total{header}; the request goes on.
SloTargets readSloTargets(const extproc::HeaderList& headers, std::string_view requestId);

// What the response path measured of one request, in monotonic nanoseconds.
struct SloMeasurement {
  int64_t receivedNs = 0;
  int64_t firstTokenNs = 0;  // first non-empty response body chunk; 0: none
  int64_t completedNs = 0;
  int64_t completionTokens = -1;  // from the response's usage; -1: unknown
  bool succeeded = false;         // completed with a 2xx status
};

// Counts the outcome of each objective in `targets` (and observes TTFT / TPOT of every
// successful request in eppd_request_ttft_seconds / eppd_request_tpot_seconds).
void recordSlo(const SloTargets& targets, const SloMeasurement& m, const std::string& model,
               const std::string& profile);

}  // namespace epp::runtime

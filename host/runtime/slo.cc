#include "host/runtime/slo.h"

#include <charconv>
#include <cmath>

#include "host/common/logging.h"
#include "host/runtime/metrics.h"

namespace epp::runtime {
namespace {

std::optional<double> readTarget(const extproc::HeaderList& headers, const char* name,
                                 std::string_view requestId) {
  const std::string* value = extproc::findHeader(headers, name);
  if (value == nullptr) return std::nullopt;
  double ms = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, ms);
  if (ec == std::errc() && ptr == end && std::isfinite(ms) && ms > 0) return ms;
  Metrics::get().sloHeaderInvalid(name);
  common::logger()->warn("request {}: header {}: '{}' is not a positive number of ms; ignored",
                         requestId, name, *value);
  return std::nullopt;
}

const char* outcome(bool measured, double actualMs, double targetMs) {
  if (!measured) return "unmeasured";
  return actualMs <= targetMs ? "met" : "missed";
}

}  // namespace

SloTargets readSloTargets(const extproc::HeaderList& headers, std::string_view requestId) {
  return {readTarget(headers, kSloTtftHeader, requestId),
          readTarget(headers, kSloTpotHeader, requestId)};
}

void recordSlo(const SloTargets& targets, const SloMeasurement& m, const std::string& model,
               const std::string& profile) {
  Metrics& metrics = Metrics::get();
  const bool hasTtft = m.succeeded && m.firstTokenNs > 0;
  const double ttftMs = static_cast<double>(m.firstTokenNs - m.receivedNs) / 1e6;
  // TPOT is the decode rate: the time after the first token over the tokens after it.
  const bool hasTpot = hasTtft && m.completionTokens > 1;
  const double tpotMs = hasTpot ? static_cast<double>(m.completedNs - m.firstTokenNs) / 1e6 /
                                      static_cast<double>(m.completionTokens - 1)
                                : 0;
  if (hasTtft) metrics.tokenLatency(model, ttftMs / 1e3, hasTpot ? tpotMs / 1e3 : -1);
  if (targets.ttftMs) {
    metrics.sloOutcome(model, profile, "ttft", outcome(hasTtft, ttftMs, *targets.ttftMs));
  }
  if (targets.tpotMs) {
    metrics.sloOutcome(model, profile, "tpot", outcome(hasTpot, tpotMs, *targets.tpotMs));
  }
}

}  // namespace epp::runtime

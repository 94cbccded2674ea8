#include "plugins/scorer/active_request_scorer/active_request_scorer.h"

#include <algorithm>
#include <vector>

namespace epp::plugins {

ActiveRequestScorer::ActiveRequestScorer(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      idleThreshold_(ctx.params().getInt("idleThreshold", 0, 0)),
      maxBusyScore_(ctx.params().getDouble("maxBusyScore", 1.0, 0.0, 1.0)) {
  const cpp::Params& params = ctx.params();
  if (params.has("requestTimeout")) {
    params.getDurationNs("requestTimeout", 0);
    log(cpp::LogLevel::kWarn,
        "requestTimeout is deprecated and ignored: a request leaves the count when eppd sees "
        "it complete");
  }
  if (params.has("inFlightLoadProducerName")) {
    params.getString("inFlightLoadProducerName", "");
    log(cpp::LogLevel::kInfo,
        "inFlightLoadProducerName is ignored: this scorer counts in-flight requests itself");
  }
}

void ActiveRequestScorer::score(const cpp::Request&, const cpp::EndpointList& candidates,
                                std::span<double> scores) {
  std::vector<InflightLoad> loads(candidates.size());
  ledger_.read(candidates, loads);
  // eppd's own count is as old as the endpoint snapshot; the ledger misses requests routed
  // before this instance existed (a reload that re-created it). The larger of the two is
  // right in both cases, up to the requests completed since the snapshot.
  std::vector<int64_t> counts(candidates.size());
  int64_t max = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    counts[i] = std::max(loads[i].requests, candidates[i].inflightRequests());
    max = std::max(max, counts[i]);
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (counts[i] <= idleThreshold_) {
      scores[i] = 1.0;
    } else {
      scores[i] = static_cast<double>(max - counts[i]) / static_cast<double>(max) * maxBusyScore_;
    }
  }
}

void ActiveRequestScorer::preRequest(const cpp::Request& request,
                                     const cpp::SchedulingResult& result) {
  ledger_.book(*this, request, result, nullptr);
}

void ActiveRequestScorer::requestComplete(const cpp::Request& request, const cpp::Response*,
                                          epp_request_outcome) {
  ledger_.release(*this, request);
}

void ActiveRequestScorer::endpointsRemoved(std::span<const uint64_t> endpointIds) {
  ledger_.forget(endpointIds);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppActiveRequestScorerEntry, "active-request-scorer", "1.0.0",
                    "Prefers endpoints with fewer requests in flight",
                    EPP_TYPE(epp::plugins::ActiveRequestScorer, "active-request-scorer",
                             "1 at or below idleThreshold in flight, else "
                             "(max - n) / max * maxBusyScore"))

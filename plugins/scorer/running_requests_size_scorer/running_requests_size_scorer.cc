#include "plugins/scorer/running_requests_size_scorer/running_requests_size_scorer.h"

#include <algorithm>
#include <limits>

namespace epp::plugins {

void RunningRequestsSizeScorer::score(const cpp::Request&, const cpp::EndpointList& candidates,
                                      std::span<double> scores) {
  // Endpoints without metrics take no part in the range: their zeroed counters would
  // otherwise pose as the least loaded.
  int64_t lo = std::numeric_limits<int64_t>::max();
  int64_t hi = std::numeric_limits<int64_t>::min();
  for (auto e : candidates) {
    if (!e.hasMetrics()) continue;
    lo = std::min(lo, e.runningRequests());
    hi = std::max(hi, e.runningRequests());
  }
  const double range = static_cast<double>(hi) - static_cast<double>(lo);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const cpp::Endpoint e = candidates[i];
    if (!e.hasMetrics()) {
      scores[i] = 0.0;
    } else if (range == 0) {
      scores[i] = 1.0;
    } else {
      scores[i] = (static_cast<double>(hi) - static_cast<double>(e.runningRequests())) / range;
    }
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppRunningRequestsSizeScorerEntry, "running-requests-size-scorer", "1.0.0",
                    "Prefers endpoints running fewer requests",
                    EPP_TYPE(epp::plugins::RunningRequestsSizeScorer,
                             "running-requests-size-scorer",
                             "(max - running) / (max - min) over the candidates"))

#include "plugins/scorer/load_aware_scorer/load_aware_scorer.h"

#include <algorithm>

namespace epp::plugins {

LoadAwareScorer::LoadAwareScorer(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      threshold_(static_cast<double>(ctx.params().getInt("threshold", kDefaultThreshold, 1))) {}

void LoadAwareScorer::score(const cpp::Request&, const cpp::EndpointList& candidates,
                            std::span<double> scores) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    const cpp::Endpoint e = candidates[i];
    if (!e.hasMetrics()) {
      scores[i] = 0.0;
      continue;
    }
    // A negative queue is a broken report, not spare capacity: read it as empty.
    const double waiting = std::clamp(static_cast<double>(e.waitingRequests()), 0.0, threshold_);
    scores[i] = 0.5 * (1.0 - waiting / threshold_);
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLoadAwareScorerEntry, "load-aware-scorer", "1.0.0",
                    "Prefers endpoints with short waiting queues, against a fixed threshold",
                    EPP_TYPE(epp::plugins::LoadAwareScorer, "load-aware-scorer",
                             "0.5 for an empty queue, 0.5 * (1 - min(q, threshold) / threshold)"))

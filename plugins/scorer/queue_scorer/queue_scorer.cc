#include "plugins/scorer/queue_scorer/queue_scorer.h"

#include <algorithm>

namespace epp::plugins {

void QueueScorer::score(const cpp::Request&, const cpp::EndpointList& candidates,
                        std::span<double> scores) {
  if (candidates.empty()) return;
  int64_t lo = candidates[0].waitingRequests();
  int64_t hi = lo;
  for (auto e : candidates) {
    lo = std::min(lo, e.waitingRequests());
    hi = std::max(hi, e.waitingRequests());
  }
  const double range = static_cast<double>(hi - lo);
  for (size_t i = 0; i < candidates.size(); ++i) {
    scores[i] =
        range == 0 ? 1.0 : static_cast<double>(hi - candidates[i].waitingRequests()) / range;
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppQueueScorerEntry, "queue-scorer", "1.0.0",
                    "Prefers endpoints with shorter waiting queues",
                    EPP_TYPE(epp::plugins::QueueScorer, "queue-scorer",
                             "(max - waiting) / (max - min) over the candidates"))

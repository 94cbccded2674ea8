#include "plugins/scorer/kv_cache_utilization_scorer/kv_cache_utilization_scorer.h"

#include <algorithm>
#include <cmath>

namespace epp::plugins {

void KvCacheUtilizationScorer::score(const cpp::Request&, const cpp::EndpointList& candidates,
                                     std::span<double> scores) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    const cpp::Endpoint endpoint = candidates[i];
    const double usage = endpoint.kvCacheUsage();
    // Nothing says there is room in an unknown (or garbled) cache: rank it with the full ones.
    if (!endpoint.hasMetrics() || !std::isfinite(usage)) {
      scores[i] = 0.0;
      continue;
    }
    scores[i] = 1.0 - std::clamp(usage, 0.0, 1.0);
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppKvCacheUtilizationScorerEntry, "kv-cache-utilization-scorer", "1.0.0",
                    "Prefers endpoints with free KV cache",
                    EPP_TYPE(epp::plugins::KvCacheUtilizationScorer, "kv-cache-utilization-scorer",
                             "1 - KV-cache usage"))

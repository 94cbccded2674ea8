#include "plugins/filter/least_queue_filter/least_queue_filter.h"

#include <algorithm>
#include <limits>

namespace epp::plugins {

void LeastQueueFilter::filter(const cpp::Request&, const cpp::EndpointList& candidates,
                              std::span<uint8_t> keep) {
  int64_t lo = std::numeric_limits<int64_t>::max();
  int64_t hi = std::numeric_limits<int64_t>::min();
  int64_t measured = 0;
  for (auto e : candidates) {
    if (!e.hasMetrics()) continue;
    lo = std::min(lo, e.waitingRequests());
    hi = std::max(hi, e.waitingRequests());
    ++measured;
  }
  // Keeping the whole lowest bucket rather than the single minimum leaves the next filter
  // of the tree a choice among similarly loaded endpoints.
  const int64_t bound = measured == 0 ? lo : lo + (hi - lo) / measured;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const cpp::Endpoint e = candidates[i];
    keep[i] = e.hasMetrics() && e.waitingRequests() <= bound;
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLeastQueueFilterEntry, "least-queue-filter", "1.0.0",
                    "Keeps the endpoints with the shortest waiting queues",
                    EPP_TYPE(epp::plugins::LeastQueueFilter, "least-queue-filter",
                             "waiting <= min + (max - min) / n"))

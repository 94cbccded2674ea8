#include "plugins/filter/least_kv_cache_filter/least_kv_cache_filter.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace epp::plugins {
namespace {

bool measured(const cpp::Endpoint& e) { return e.hasMetrics() && std::isfinite(e.kvCacheUsage()); }

}  // namespace

void LeastKvCacheFilter::filter(const cpp::Request&, const cpp::EndpointList& candidates,
                                std::span<uint8_t> keep) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  size_t count = 0;
  for (auto e : candidates) {
    if (!measured(e)) continue;
    lo = std::min(lo, e.kvCacheUsage());
    hi = std::max(hi, e.kvCacheUsage());
    ++count;
  }
  // Keeping the whole lowest bucket rather than the single minimum leaves the next filter
  // of the tree a choice among similarly loaded endpoints.
  const double bound = count == 0 ? lo : lo + (hi - lo) / static_cast<double>(count);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const cpp::Endpoint e = candidates[i];
    keep[i] = measured(e) && e.kvCacheUsage() <= bound;
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLeastKvCacheFilterEntry, "least-kv-cache-filter", "1.0.0",
                    "Keeps the endpoints with the least used KV cache",
                    EPP_TYPE(epp::plugins::LeastKvCacheFilter, "least-kv-cache-filter",
                             "kv usage <= min + (max - min) / n"))

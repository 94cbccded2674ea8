#include "plugins/detector/utilization_detector/utilization_detector.h"

#include <algorithm>

namespace epp::plugins {

UtilizationDetector::UtilizationDetector(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      queueDepthThreshold_(
          ctx.params().getInt("queueDepthThreshold", kDefaultQueueDepthThreshold, /*min=*/1)),
      kvCacheUtilThreshold_(ctx.params().getDouble(
          "kvCacheUtilThreshold", kDefaultKvCacheUtilThreshold, /*min=*/0, /*max=*/1)),
      stalenessNs_(ctx.params().getDurationNs("metricsStalenessThreshold", kDefaultStalenessNs)),
      headroom_(ctx.params().getDouble("headroom", kDefaultHeadroom, /*min=*/0)) {
  // A zero threshold would divide by zero; the reference refuses it too.
  if (kvCacheUtilThreshold_ <= 0) {
    throw cpp::Error(ctx.params().location("kvCacheUtilThreshold") +
                     ": \"kvCacheUtilThreshold\" must be greater than 0 and at most 1");
  }
  if (stalenessNs_ <= 0) {
    throw cpp::Error(ctx.params().location("metricsStalenessThreshold") +
                     ": \"metricsStalenessThreshold\" must be a positive duration");
  }
}

bool UtilizationDetector::stale(const cpp::Endpoint& e, int64_t nowNs) const {
  return !e.hasMetrics() || nowNs - e.metricsUpdatedNs() > stalenessNs_;
}

double UtilizationDetector::endpointSaturation(const cpp::Endpoint& e, int64_t nowNs) const {
  // Nothing recent shows the endpoint has room: count it as full, as the reference does.
  if (stale(e, nowNs)) return 1.0;
  double queue =
      static_cast<double>(e.waitingRequests()) / static_cast<double>(queueDepthThreshold_);
  double kv = e.kvCacheUsage() / kvCacheUtilThreshold_;
  return std::max(queue, kv);
}

double UtilizationDetector::saturation(const cpp::EndpointList& pool, int64_t nowNs) {
  if (pool.empty()) return 1.0;  // no endpoint has room
  double sum = 0;
  for (auto e : pool) sum += endpointSaturation(e, nowNs);
  return sum / static_cast<double>(pool.size());
}

void UtilizationDetector::filter(const cpp::Request&, const cpp::EndpointList& candidates,
                                 std::span<uint8_t> keep) {
  const int64_t now = cpp::nowNs();
  const double burst = 1.0 + headroom_;
  const double queueLimit = static_cast<double>(queueDepthThreshold_) * burst;
  const double kvLimit = kvCacheUtilThreshold_ * burst;
  bool any = false;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const cpp::Endpoint e = candidates[i];
    keep[i] = !stale(e, now) && static_cast<double>(e.waitingRequests()) <= queueLimit &&
              e.kvCacheUsage() <= kvLimit;
    any = any || keep[i];
  }
  // Fail open: when every endpoint is over its limit, dropping them all would only turn
  // a busy pool into an error.
  if (!any) std::fill(keep.begin(), keep.end(), uint8_t{1});
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppUtilizationDetectorEntry, "utilization-detector", "1.0.0",
                    "Pool saturation from queue depth and KV-cache utilisation",
                    EPP_TYPE(epp::plugins::UtilizationDetector, "utilization-detector",
                             "average of max(queue/queueDepthThreshold, kv/kvCacheUtilThreshold); "
                             "also a fail-open filter"))

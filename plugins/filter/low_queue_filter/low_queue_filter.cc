#include "plugins/filter/low_queue_filter/low_queue_filter.h"

namespace epp::plugins {

LowQueueFilter::LowQueueFilter(const cpp::CreateContext& ctx)
    : Plugin(ctx), threshold_(ctx.params().getInt("threshold", kDefaultThreshold, /*min=*/0)) {}

void LowQueueFilter::filter(const cpp::Request&, const cpp::EndpointList& candidates,
                            std::span<uint8_t> keep) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    const cpp::Endpoint e = candidates[i];
    keep[i] = e.hasMetrics() && e.waitingRequests() <= threshold_;
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLowQueueFilterEntry, "low-queue-filter", "1.0.0",
                    "Keeps endpoints whose waiting queue is at most a threshold",
                    EPP_TYPE(epp::plugins::LowQueueFilter, "low-queue-filter",
                             "waiting requests <= threshold (default 128)"))

#pragma once

#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// utilization-detector: how full the pool is from scraped queue depth and KV-cache use.
// Per endpoint max(waiting / queueDepthThreshold, kv / kvCacheUtilThreshold), 1.0 when its
// metrics are missing or older than metricsStalenessThreshold; the pool value is the
// average (1.0 for an empty pool). As a filter it drops endpoints above
// threshold * (1 + headroom), and stale ones, but keeps every candidate rather than none.
class UtilizationDetector : public cpp::Plugin, public cpp::SaturationDetector, public cpp::Filter {
 public:
  static constexpr int64_t kDefaultQueueDepthThreshold = 5;
  static constexpr double kDefaultKvCacheUtilThreshold = 0.8;
  static constexpr int64_t kDefaultStalenessNs = 200'000'000;
  static constexpr double kDefaultHeadroom = 0;

  explicit UtilizationDetector(const cpp::CreateContext& ctx);
  double saturation(const cpp::EndpointList& pool, int64_t nowNs) override;
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;

  // One endpoint's share: max of the two ratios, 1.0 when stale.
  double endpointSaturation(const cpp::Endpoint& e, int64_t nowNs) const;

 private:
  bool stale(const cpp::Endpoint& e, int64_t nowNs) const;

  int64_t queueDepthThreshold_;
  double kvCacheUtilThreshold_;
  int64_t stalenessNs_;
  double headroom_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppUtilizationDetectorEntry(const epp_entry_args* args);

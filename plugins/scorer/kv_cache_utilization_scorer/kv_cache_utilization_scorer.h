#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// kv-cache-utilization-scorer: prefers endpoints with free KV cache: 1 - usage, the usage
// clamped to [0, 1]. An endpoint without metrics scores 0, as if its cache were full.
class KvCacheUtilizationScorer : public cpp::Plugin, public cpp::Scorer {
 public:
  explicit KvCacheUtilizationScorer(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppKvCacheUtilizationScorerEntry(const epp_entry_args* args);

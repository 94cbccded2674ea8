#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// least-kv-cache-filter: keeps the endpoints in the lowest of n equal buckets of the KV-cache
// usage range: usage <= min + (max - min) / n, over the n candidates with metrics. Endpoints
// without metrics (or with a non-finite usage) are dropped.
class LeastKvCacheFilter : public cpp::Plugin, public cpp::Filter {
 public:
  explicit LeastKvCacheFilter(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLeastKvCacheFilterEntry(const epp_entry_args* args);

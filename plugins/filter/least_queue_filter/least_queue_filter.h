#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// least-queue-filter: keeps the endpoints in the lowest of n equal buckets of the waiting
// queue range: q <= min + (max - min) / n (integer division), over the n candidates with
// metrics. Endpoints without metrics are dropped.
class LeastQueueFilter : public cpp::Plugin, public cpp::Filter {
 public:
  explicit LeastQueueFilter(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLeastQueueFilterEntry(const epp_entry_args* args);

#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// priority-ordering-policy: the request with the higher priority dispatches first, equal
// priorities in arrival order. Within one band every request usually shares the band's
// priority, so this matters when a band is configured to collect several priorities.
class PriorityOrderingPolicy : public cpp::Plugin, public cpp::OrderingPolicy {
 public:
  static constexpr uint32_t kQueueCapabilities = EPP_QUEUE_CAP_PRIORITY;

  explicit PriorityOrderingPolicy(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  bool less(const cpp::QueuedRequest& a, const cpp::QueuedRequest& b) const override {
    if (a.priority() != b.priority()) return a.priority() > b.priority();
    return a.sequence() < b.sequence();
  }
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppPriorityOrderingPolicyEntry(const epp_entry_args* args);

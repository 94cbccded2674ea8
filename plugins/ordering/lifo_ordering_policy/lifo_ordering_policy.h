#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// lifo-ordering-policy: last come, first served. The request enqueued last (highest
// sequence) dispatches first. A FIFO list cannot serve that order, so it asks for the
// ordered (heap) queue.
class LifoOrderingPolicy : public cpp::Plugin, public cpp::OrderingPolicy {
 public:
  static constexpr uint32_t kQueueCapabilities = EPP_QUEUE_CAP_PRIORITY;

  explicit LifoOrderingPolicy(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  bool less(const cpp::QueuedRequest& a, const cpp::QueuedRequest& b) const override {
    return a.sequence() > b.sequence();
  }
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLifoOrderingPolicyEntry(const epp_entry_args* args);

#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// fcfs-ordering-policy: first come, first served. The request enqueued first (lowest
// sequence) dispatches first. Arrival order is the queue's own order, so a plain FIFO
// list serves it and no heap is needed.
class FcfsOrderingPolicy : public cpp::Plugin, public cpp::OrderingPolicy {
 public:
  static constexpr uint32_t kQueueCapabilities = EPP_QUEUE_CAP_FIFO;

  explicit FcfsOrderingPolicy(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  bool less(const cpp::QueuedRequest& a, const cpp::QueuedRequest& b) const override {
    return a.sequence() < b.sequence();
  }
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppFcfsOrderingPolicyEntry(const epp_entry_args* args);

#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// edf-ordering-policy: earliest deadline first. The host sets a queued request's deadline
// to its enqueue time plus its effective TTL (INT64_MAX when it has none, so those go
// last); equal deadlines fall back to arrival order so the order is total and stable.
class EdfOrderingPolicy : public cpp::Plugin, public cpp::OrderingPolicy {
 public:
  static constexpr uint32_t kQueueCapabilities = EPP_QUEUE_CAP_PRIORITY;

  explicit EdfOrderingPolicy(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  bool less(const cpp::QueuedRequest& a, const cpp::QueuedRequest& b) const override {
    if (a.deadlineNs() != b.deadlineNs()) return a.deadlineNs() < b.deadlineNs();
    return a.sequence() < b.sequence();
  }
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppEdfOrderingPolicyEntry(const epp_entry_args* args);

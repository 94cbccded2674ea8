#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// What the policy caches in a request's per-request state slot the first time `less`
// sees the request: the header is read and parsed once, not on every heap comparison.
struct SloDeadline {
  bool hasDeadline = false;
  int64_t deadlineNs = 0;  // received_ns + x-slo-ttft-ms, saturated at INT64_MAX
};

// slo-deadline-ordering-policy: earliest SLO deadline first, where the deadline is the
// request's received time plus its `x-slo-ttft-ms` header. Requests without the header
// (or with a malformed one) dispatch after every request that has one, in arrival order.
class SloDeadlineOrderingPolicy : public cpp::Plugin, public cpp::OrderingPolicy {
 public:
  static constexpr uint32_t kQueueCapabilities = EPP_QUEUE_CAP_PRIORITY;
  static constexpr std::string_view kHeader = "x-slo-ttft-ms";
  static constexpr std::string_view kMalformedMetric = "eppd_slo_deadline_malformed_header_total";

  explicit SloDeadlineOrderingPolicy(const cpp::CreateContext& ctx);
  bool less(const cpp::QueuedRequest& a, const cpp::QueuedRequest& b) const override;

  // Milliseconds in a header value: a finite non-negative decimal number, surrounding
  // blanks allowed; nullopt otherwise.
  static std::optional<double> parseMillis(std::string_view value);

 private:
  SloDeadline deadlineOf(const cpp::QueuedRequest& q) const;
  SloDeadline compute(const cpp::Request& request) const;

  cpp::Series malformed_;
  mutable std::atomic<bool> warned_{false};
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppSloDeadlineOrderingPolicyEntry(const epp_entry_args* args);

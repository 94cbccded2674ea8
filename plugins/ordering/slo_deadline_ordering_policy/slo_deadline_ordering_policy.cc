#include "plugins/ordering/slo_deadline_ordering_policy/slo_deadline_ordering_policy.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

namespace epp::plugins {

SloDeadlineOrderingPolicy::SloDeadlineOrderingPolicy(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      malformed_(registerMetric(EPP_METRIC_COUNTER, kMalformedMetric,
                                "Requests whose x-slo-ttft-ms header was malformed and "
                                "ordered as if absent.")
                     .series()) {}

std::optional<double> SloDeadlineOrderingPolicy::parseMillis(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  double ms = 0;
  auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), ms, std::chars_format::fixed);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  if (!std::isfinite(ms) || ms < 0) return std::nullopt;
  return ms;
}

SloDeadline SloDeadlineOrderingPolicy::compute(const cpp::Request& request) const {
  auto header = request.header(kHeader);
  if (!header) return {};
  auto ms = parseMillis(*header);
  if (!ms) {
    // Runs once per request (the result is cached), so the counter counts requests, not
    // comparisons; only the instance's first bad value is a warning, to keep a
    // misbehaving client from flooding the log.
    malformed_.add(1);
    std::string message = "ignoring malformed x-slo-ttft-ms \"" + std::string(*header) +
                          "\": the request orders as if it had no SLO";
    if (!warned_.exchange(true)) {
      log(cpp::LogLevel::kWarn, message + " (further ones are logged at debug)", &request);
    } else if (cpp::logEnabled(cpp::LogLevel::kDebug)) {
      log(cpp::LogLevel::kDebug, message, &request);
    }
    return {};
  }
  const int64_t received = request.receivedNs();
  const double offsetNs = *ms * 1e6;
  // Saturate rather than overflow: an absurd SLO still orders after every sane one.
  if (offsetNs >= static_cast<double>(std::numeric_limits<int64_t>::max() - received)) {
    return {true, std::numeric_limits<int64_t>::max()};
  }
  return {true, received + std::llround(offsetNs)};
}

SloDeadline SloDeadlineOrderingPolicy::deadlineOf(const cpp::QueuedRequest& q) const {
  const cpp::Request request = q.request();
  if (const auto* cached = state<SloDeadline>(request)) return *cached;
  SloDeadline d = compute(request);
  try {
    setState(request, std::make_unique<SloDeadline>(d));
  } catch (const cpp::Error&) {
    // The host refused the slot (e.g. its state budget): still order correctly, just
    // without the cache. `less` must not fail.
  }
  return d;
}

bool SloDeadlineOrderingPolicy::less(const cpp::QueuedRequest& a,
                                     const cpp::QueuedRequest& b) const {
  const SloDeadline da = deadlineOf(a);
  const SloDeadline db = deadlineOf(b);
  if (da.hasDeadline != db.hasDeadline) return da.hasDeadline;
  if (da.hasDeadline && da.deadlineNs != db.deadlineNs) return da.deadlineNs < db.deadlineNs;
  return a.sequence() < b.sequence();
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppSloDeadlineOrderingPolicyEntry, "slo-deadline-ordering-policy", "1.0.0",
                    "Earliest SLO deadline (received time + x-slo-ttft-ms) first within a flow",
                    EPP_TYPE(epp::plugins::SloDeadlineOrderingPolicy,
                             "slo-deadline-ordering-policy",
                             "earliest received_ns + x-slo-ttft-ms first; requests without the "
                             "header after, by sequence; heap queue"))

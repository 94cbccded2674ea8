#include "plugins/picker/least_response_time_picker/least_response_time_picker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

namespace epp::plugins {
namespace {

constexpr char kFirstByte[] = "first-byte";
constexpr char kCompletion[] = "completion";
constexpr char kEstimateMetric[] = "eppd_picker_response_time_estimate_seconds";

bool parseMeasure(const cpp::Params& params) {
  const std::string measure = params.getString("measure", kFirstByte);
  if (measure == kFirstByte) return false;
  if (measure == kCompletion) return true;
  throw cpp::Error(params.location("measure") + ": parameter \"measure\" must be \"" + kFirstByte +
                   "\" or \"" + kCompletion + "\", not \"" + measure + "\"");
}

double smoothingOf(const cpp::Params& params) {
  const double s = params.getDouble("smoothing", 0.3, 0.0, 1.0);
  if (s == 0.0) {
    throw cpp::Error(params.location("smoothing") +
                     ": parameter \"smoothing\" must be above 0 (0 would never learn)");
  }
  return s;
}

double rank(double score) {
  return std::isnan(score) ? -std::numeric_limits<double>::infinity() : score;
}

}  // namespace

LeastResponseTimePicker::LeastResponseTimePicker(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      maxNumOfEndpoints_(ctx.params().getInt("maxNumOfEndpoints", 1, /*min=*/1)),
      untilCompletion_(parseMeasure(ctx.params())),
      smoothing_(smoothingOf(ctx.params())),
      estimateMetric_(registerMetric(EPP_METRIC_GAUGE, kEstimateMetric,
                                     "Response time least-response-time-picker expects of an "
                                     "endpoint (moving average).",
                                     {"endpoint"})) {}

size_t LeastResponseTimePicker::pick(const cpp::Request& request,
                                     const cpp::EndpointList& candidates,
                                     std::span<const double> scores, std::span<uint32_t> picked) {
  const size_t count = candidates.size();
  std::vector<double> estimate(count, std::nan(""));
  {
    std::shared_lock lock(mutex_);
    for (size_t i = 0; i < count; ++i) {
      auto it = estimates_.find(candidates[i].id());
      if (it != estimates_.end()) estimate[i] = it->second.ns;
    }
  }
  // An endpoint nobody has heard from yet is assumed average: neither flooded (as 0 would)
  // nor starved (as infinity would) until its first response is in. With no estimate at
  // all, every endpoint counts the same and the pick is by in-flight requests alone.
  double known = 0;
  size_t knownCount = 0;
  for (double e : estimate) {
    if (!std::isnan(e)) {
      known += e;
      ++knownCount;
    }
  }
  const double fallback = knownCount > 0 ? known / static_cast<double>(knownCount) : 1.0;
  std::vector<double> cost(count);
  for (size_t i = 0; i < count; ++i) {
    const double e = std::isnan(estimate[i]) ? fallback : estimate[i];
    const int64_t inflight = std::max<int64_t>(candidates[i].inflightRequests(), 0);
    cost[i] = e * static_cast<double>(inflight + 1);
  }
  std::vector<uint32_t> order(count);
  std::iota(order.begin(), order.end(), 0u);
  cpp::Request::Generator random = request.generator();
  std::shuffle(order.begin(), order.end(), random);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (cost[a] != cost[b]) return cost[a] < cost[b];
    return rank(scores[a]) > rank(scores[b]);
  });
  const size_t n = std::min({static_cast<size_t>(maxNumOfEndpoints_), order.size(), picked.size()});
  std::copy_n(order.begin(), n, picked.begin());
  return n;
}

void LeastResponseTimePicker::requestComplete(const cpp::Request& request,
                                              const cpp::Response* response,
                                              epp_request_outcome outcome) {
  // Only answers count: an error that comes back fast must not make its endpoint look
  // fast (it would draw all traffic to a failing server).
  if (outcome != EPP_OUTCOME_COMPLETED || response == nullptr) return;
  if (response->statusCode() < 200 || response->statusCode() >= 400) return;
  const std::optional<cpp::Endpoint> endpoint = response->endpoint();
  if (!endpoint) return;
  const int64_t until = untilCompletion_ ? response->completedNs() : response->firstByteNs();
  if (until <= 0 || until < request.receivedNs()) return;
  // At least a microsecond: an estimate of 0 would cancel the in-flight factor.
  const double sample = std::max(static_cast<double>(until - request.receivedNs()), 1e3);

  std::unique_lock lock(mutex_);
  auto [it, added] = estimates_.try_emplace(endpoint->id());
  Estimate& e = it->second;
  if (added) {
    e.ns = sample;
    e.gauge = estimateMetric_.series({endpoint->hostPort()});
  } else {
    e.ns += smoothing_ * (sample - e.ns);
  }
  e.gauge.set(e.ns / 1e9);
}

void LeastResponseTimePicker::endpointsRemoved(std::span<const uint64_t> endpointIds) {
  std::unique_lock lock(mutex_);
  for (uint64_t id : endpointIds) {
    auto it = estimates_.find(id);
    if (it == estimates_.end()) continue;
    it->second.gauge.set(0);
    estimates_.erase(it);
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLeastResponseTimePickerEntry, "least-response-time-picker", "1.0.0",
                    "Lowest expected response time",
                    EPP_TYPE(epp::plugins::LeastResponseTimePicker, "least-response-time-picker",
                             "lowest moving-average response time x (in-flight + 1)"))

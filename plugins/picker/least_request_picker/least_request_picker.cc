#include "plugins/picker/least_request_picker/least_request_picker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace epp::plugins {
namespace {

constexpr char kInflight[] = "inflight";
constexpr char kMetrics[] = "metrics";

bool parseSource(const cpp::Params& params) {
  const std::string source = params.getString("source", kInflight);
  if (source == kInflight) return false;
  if (source == kMetrics) return true;
  throw cpp::Error(params.location("source") + ": parameter \"source\" must be \"" + kInflight +
                   "\" or \"" + kMetrics + "\", not \"" + source + "\"");
}

double rank(double score) {
  return std::isnan(score) ? -std::numeric_limits<double>::infinity() : score;
}

}  // namespace

LeastRequestPicker::LeastRequestPicker(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      maxNumOfEndpoints_(ctx.params().getInt("maxNumOfEndpoints", 1, /*min=*/1)),
      fromMetrics_(parseSource(ctx.params())) {}

size_t LeastRequestPicker::pick(const cpp::Request& request, const cpp::EndpointList& candidates,
                                std::span<const double> scores, std::span<uint32_t> picked) {
  // Endpoints whose server never reported metrics count as fully loaded: with
  // `source: metrics` they go after every endpoint whose load is known.
  constexpr int64_t kUnknown = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> load(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const cpp::Endpoint e = candidates[i];
    if (!fromMetrics_) {
      load[i] = e.inflightRequests();
    } else {
      load[i] = e.hasMetrics() ? e.waitingRequests() + e.runningRequests() : kUnknown;
    }
  }
  std::vector<uint32_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0u);
  // Shuffle, then sort stably: equal loads and scores keep the shuffled order.
  cpp::Request::Generator random = request.generator();
  std::shuffle(order.begin(), order.end(), random);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (load[a] != load[b]) return load[a] < load[b];
    return rank(scores[a]) > rank(scores[b]);
  });
  const size_t n = std::min({static_cast<size_t>(maxNumOfEndpoints_), order.size(), picked.size()});
  std::copy_n(order.begin(), n, picked.begin());
  return n;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLeastRequestPickerEntry, "least-request-picker", "1.0.0",
                    "Fewest outstanding requests",
                    EPP_TYPE(epp::plugins::LeastRequestPicker, "least-request-picker",
                             "fewest in-flight requests; ties by score, then at random"))

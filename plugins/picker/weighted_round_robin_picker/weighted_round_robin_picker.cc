#include "plugins/picker/weighted_round_robin_picker/weighted_round_robin_picker.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>
#include <vector>

#include "plugins/common/text_values.h"

namespace epp::plugins {

WeightedRoundRobinPicker::WeightedRoundRobinPicker(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      maxNumOfEndpoints_(ctx.params().getInt("maxNumOfEndpoints", 1, /*min=*/1)),
      label_(ctx.params().getString("capacityLabel", kDefaultLabel)),
      defaultWeight_(ctx.params().getDouble("defaultWeight", 1.0, /*min=*/0.0)) {
  const cpp::Params& params = ctx.params();
  if (label_.empty()) {
    throw cpp::Error(params.location("capacityLabel") +
                     ": parameter \"capacityLabel\" must not be empty");
  }
  if (!(defaultWeight_ > 0)) {
    throw cpp::Error(params.location("defaultWeight") +
                     ": parameter \"defaultWeight\" must be greater than 0");
  }
  malformed_.setCounter(registerMetric(EPP_METRIC_COUNTER, kMalformedMetric,
                                       "Capacity labels that were not a positive number and "
                                       "weighed defaultWeight.")
                            .series());
}

double WeightedRoundRobinPicker::weightOf(const cpp::Endpoint& endpoint,
                                          const cpp::Request& request) const {
  const std::optional<std::string_view> value = endpoint.label(label_);
  if (!value) return defaultWeight_;
  const std::optional<double> weight = text::parseNonNegative(*value);
  if (weight && *weight > 0) return *weight;
  malformed_.report(*this,
                    "endpoint " + std::string(endpoint.hostPort()) + ": label " + label_ + "=\"" +
                        std::string(*value) + "\" is not a positive number; it weighs " +
                        "defaultWeight " + std::to_string(defaultWeight_),
                    &request);
  return defaultWeight_;
}

size_t WeightedRoundRobinPicker::pick(const cpp::Request& request,
                                      const cpp::EndpointList& candidates, std::span<const double>,
                                      std::span<uint32_t> picked) {
  const size_t count = candidates.size();
  if (count == 0) return 0;
  std::vector<double> weights(count);
  double total = 0;
  for (size_t i = 0; i < count; ++i) {
    weights[i] = weightOf(candidates[i], request);
    total += weights[i];
  }
  // Ties go to the lower endpoint id, as round-robin-picker's turn follows endpoint ids: the
  // order never depends on where a candidate sits in the list.
  std::vector<double> current(count);
  std::vector<uint32_t> order(count);
  std::iota(order.begin(), order.end(), 0u);
  size_t best = 0;
  {
    std::lock_guard lock(mutex_);
    // Smooth weighted round robin: every candidate gains its weight, the one with the most
    // goes and pays back the total. Endpoints outside this candidate set keep their credit.
    for (size_t i = 0; i < count; ++i) {
      current[i] = (current_[candidates[i].id()] += weights[i]);
      if (current[i] > current[best] ||
          (current[i] == current[best] && candidates[i].id() < candidates[best].id())) {
        best = i;
      }
    }
    current_[candidates[best].id()] -= total;
  }
  // The primary first, then the others by what they will hold at the next turn.
  for (size_t i = 0; i < count; ++i) current[i] += weights[i];
  current[best] = std::numeric_limits<double>::infinity();
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (current[a] != current[b]) return current[a] > current[b];
    return candidates[a].id() < candidates[b].id();
  });
  const size_t n = std::min({static_cast<size_t>(maxNumOfEndpoints_), count, picked.size()});
  std::copy_n(order.begin(), n, picked.begin());
  return n;
}

void WeightedRoundRobinPicker::endpointsRemoved(std::span<const uint64_t> endpointIds) {
  std::lock_guard lock(mutex_);
  for (uint64_t id : endpointIds) current_.erase(id);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppWeightedRoundRobinPickerEntry, "weighted-round-robin-picker", "1.0.0",
                    "Takes the candidates in turn, each as often as its capacity label says",
                    EPP_TYPE(epp::plugins::WeightedRoundRobinPicker, "weighted-round-robin-picker",
                             "smooth weighted round robin by capacity label, ignoring scores"))

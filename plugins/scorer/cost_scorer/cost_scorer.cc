#include "plugins/scorer/cost_scorer/cost_scorer.h"

#include <algorithm>
#include <vector>

namespace epp::plugins {

CostScorer::CostScorer(const cpp::CreateContext& ctx) : Plugin(ctx), cost_(ctx.params()) {
  cost_.attach(registerMetric(EPP_METRIC_COUNTER, EndpointCost::kMalformedMetric,
                              "Endpoint cost labels that were not a non-negative number and "
                              "counted as defaultCost.")
                   .series());
}

void CostScorer::score(const cpp::Request& request, const cpp::EndpointList& candidates,
                       std::span<double> scores) {
  if (candidates.empty()) return;
  std::vector<double> costs(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i)
    costs[i] = cost_.of(*this, candidates[i], &request);
  const auto [lo, hi] = std::minmax_element(costs.begin(), costs.end());
  const double range = *hi - *lo;
  for (size_t i = 0; i < candidates.size(); ++i) {
    scores[i] = range > 0 ? (*hi - costs[i]) / range : 1.0;
  }
}

}  // namespace epp::plugins

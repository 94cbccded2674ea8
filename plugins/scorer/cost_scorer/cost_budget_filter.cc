#include "plugins/scorer/cost_scorer/cost_budget_filter.h"

#include <algorithm>

#include "plugins/common/text_values.h"

namespace epp::plugins {

CostBudgetFilter::CostBudgetFilter(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      cost_(ctx.params()),
      header_(text::lower(ctx.params().getString("budgetHeader", kDefaultHeader))) {
  const cpp::Params& params = ctx.params();
  if (header_.empty()) {
    throw cpp::Error(params.location("budgetHeader") +
                     ": parameter \"budgetHeader\" must not be empty");
  }
  if (params.has("maxCost")) maxCost_ = params.getDouble("maxCost", 0.0, 0.0);
  cost_.attach(registerMetric(EPP_METRIC_COUNTER, EndpointCost::kMalformedMetric,
                              "Endpoint cost labels that were not a non-negative number and "
                              "counted as defaultCost.")
                   .series());
  malformed_.setCounter(registerMetric(EPP_METRIC_COUNTER, kMalformedMetric,
                                       "Requests whose cost budget header was not a "
                                       "non-negative number and was ignored.")
                            .series());
}

std::optional<double> CostBudgetFilter::budget(const cpp::Request& request) const {
  std::optional<double> fromHeader;
  if (const auto value = request.header(header_); value && !text::trim(*value).empty()) {
    fromHeader = text::parseNonNegative(*value);
    if (!fromHeader) {
      malformed_.report(*this,
                        "ignoring malformed " + header_ + " \"" + std::string(*value) +
                            "\" (not a non-negative number): no request budget applies" +
                            (maxCost_ ? ", only maxCost" : ""),
                        &request);
    }
  }
  if (fromHeader && maxCost_) return std::min(*fromHeader, *maxCost_);
  return fromHeader ? fromHeader : maxCost_;
}

void CostBudgetFilter::filter(const cpp::Request& request, const cpp::EndpointList& candidates,
                              std::span<uint8_t> keep) {
  const std::optional<double> limit = budget(request);
  if (!limit) return;
  for (size_t i = 0; i < candidates.size(); ++i) {
    keep[i] = cost_.of(*this, candidates[i], &request) <= *limit ? 1 : 0;
  }
}

}  // namespace epp::plugins

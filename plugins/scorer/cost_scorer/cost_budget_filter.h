#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "epp/cpp/plugin.h"
#include "plugins/common/bad_input_report.h"
#include "plugins/scorer/cost_scorer/endpoint_cost.h"

namespace epp::plugins {

// cost-budget-filter: drops the candidates whose cost (EndpointCost) is above the request's
// budget: the number in header x-gateway-cost-budget, capped by the `maxCost` parameter
// when set. No budget: every candidate stays. A malformed header is ignored (fails open:
// only maxCost applies), counted and logged. Nothing within budget: the result is empty.
class CostBudgetFilter : public cpp::Plugin, public cpp::Filter {
 public:
  static constexpr std::string_view kDefaultHeader = "x-gateway-cost-budget";
  static constexpr std::string_view kMalformedMetric = "eppd_cost_budget_malformed_header_total";

  explicit CostBudgetFilter(const cpp::CreateContext& ctx);
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;

 private:
  // The request's budget, or nullopt when it has none.
  std::optional<double> budget(const cpp::Request& request) const;

  EndpointCost cost_;
  std::string header_;
  std::optional<double> maxCost_;
  BadInputReport malformed_;
};

}  // namespace epp::plugins

#pragma once

#include "epp/cpp/plugin.h"
#include "plugins/scorer/cost_scorer/endpoint_cost.h"

namespace epp::plugins {

// cost-scorer: prefers cheaper endpoints. Each candidate's cost comes from a label
// (EndpointCost); scores are min-max normalised over the candidates, (max - cost) /
// (max - min), so the cheapest scores 1 and the dearest 0; equal costs all score 1.
class CostScorer : public cpp::Plugin, public cpp::Scorer {
 public:
  static constexpr epp_scorer_category kCategory = EPP_SCORER_BALANCE;

  explicit CostScorer(const cpp::CreateContext& ctx);
  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;

 private:
  EndpointCost cost_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppCostEntry(const epp_entry_args* args);

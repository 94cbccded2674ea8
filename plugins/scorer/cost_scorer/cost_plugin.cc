// The library of the cost types: the scorer and the budget filter read endpoint costs the
// same way (endpoint_cost.h) and ship together.
#include "plugins/scorer/cost_scorer/cost_budget_filter.h"
#include "plugins/scorer/cost_scorer/cost_scorer.h"

EPP_PLUGIN_ENTRY_FN(eppCostEntry, "cost", "1.0.0",
                    "Cost-aware placement: a scorer preferring cheap endpoints and a budget filter",
                    EPP_TYPE(epp::plugins::CostScorer, "cost-scorer",
                             "(max - cost) / (max - min) over the candidates, cost from a label"),
                    EPP_TYPE(epp::plugins::CostBudgetFilter, "cost-budget-filter",
                             "drops endpoints costing more than x-gateway-cost-budget"))

#include "plugins/fairness/global_strict_fairness_policy/global_strict_fairness_policy.h"

#include <optional>

namespace epp::plugins {

size_t GlobalStrictFairnessPolicy::pickFlow(cpp::BandState*, const cpp::FlowList& flows) {
  std::optional<size_t> best;
  uint64_t bestSequence = 0;
  for (size_t i = 0; i < flows.size(); ++i) {
    const cpp::Flow flow = flows[i];
    if (flow.queuedCount() == 0) continue;
    auto head = flow.head();
    if (!head) continue;
    if (!best || head->sequence() < bestSequence) {
      best = i;
      bestSequence = head->sequence();
    }
  }
  if (!best) throw cpp::Error("pick_flow: no flow has a queued request", EPP_ERR_INVALID_ARGUMENT);
  return *best;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppGlobalStrictFairnessPolicyEntry, "global-strict-fairness-policy", "1.0.0",
                    "The flow whose head request arrived first dispatches next",
                    EPP_TYPE(epp::plugins::GlobalStrictFairnessPolicy,
                             "global-strict-fairness-policy",
                             "lowest head sequence across the band's flows (global FCFS)"))

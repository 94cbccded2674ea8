#include "plugins/fairness/round_robin_fairness_policy/round_robin_fairness_policy.h"

#include <optional>
#include <string_view>

namespace epp::plugins {

std::unique_ptr<cpp::BandState> RoundRobinFairnessPolicy::newBandState(int32_t) {
  return std::make_unique<Cursor>();
}

size_t RoundRobinFairnessPolicy::pickFlow(cpp::BandState* state, const cpp::FlowList& flows) {
  auto* cursor = dynamic_cast<Cursor*>(state);
  if (cursor == nullptr) throw cpp::Error("pick_flow: missing band state", EPP_ERR_INTERNAL);
  // One pass: the smallest id after the cursor (the next turn) and the smallest id
  // overall (the turn after wrapping around). The host's list is short (one entry per
  // tenant with queued work), so a scan beats keeping a sorted copy in sync with it.
  std::optional<size_t> next;
  std::optional<size_t> first;
  for (size_t i = 0; i < flows.size(); ++i) {
    const cpp::Flow flow = flows[i];
    if (flow.queuedCount() == 0) continue;
    const std::string_view id = flow.fairnessId();
    if (!first || id < flows[*first].fairnessId()) first = i;
    if (cursor->started && id > cursor->lastServed && (!next || id < flows[*next].fairnessId())) {
      next = i;
    }
  }
  if (!first) throw cpp::Error("pick_flow: no flow has a queued request", EPP_ERR_INVALID_ARGUMENT);
  const size_t picked = next ? *next : *first;
  cursor->started = true;
  cursor->lastServed = flows[picked].fairnessId();
  return picked;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppRoundRobinFairnessPolicyEntry, "round-robin-fairness-policy", "1.0.0",
                    "Non-empty flows of a band take turns, in fairness-id order",
                    EPP_TYPE(epp::plugins::RoundRobinFairnessPolicy, "round-robin-fairness-policy",
                             "per-band cursor over fairness ids; skips empty flows"))

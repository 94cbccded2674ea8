#include "plugins/scorer/lora_affinity_scorer/lora_affinity_scorer.h"

namespace epp::plugins {

void LoraAffinityScorer::score(const cpp::Request& request, const cpp::EndpointList& candidates,
                               std::span<double> scores) {
  const std::string_view adapter = request.loraAdapter();
  for (size_t i = 0; i < candidates.size(); ++i) {
    // A base-model request needs no adapter: every endpoint is equally suitable.
    scores[i] = adapter.empty() ? 1.0 : affinity(candidates[i], adapter);
  }
}

double LoraAffinityScorer::affinity(const cpp::Endpoint& endpoint, std::string_view adapter) {
  if (!endpoint.hasMetrics()) return 0.0;  // adapter state unknown
  const cpp::StrList active = endpoint.activeLoras();
  const cpp::StrList waiting = endpoint.waitingLoras();
  if (active.contains(adapter)) return kActive;
  // A free slot beats queueing behind other adapters: loading there starts at once.
  if (static_cast<int64_t>(active.size() + waiting.size()) < endpoint.maxLoras()) return kFreeSlot;
  if (waiting.contains(adapter)) return kWaiting;
  return 0.0;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLoraAffinityScorerEntry, "lora-affinity-scorer", "1.0.0",
                    "Prefers endpoints that have the requested LoRA adapter or room for it",
                    EPP_TYPE(epp::plugins::LoraAffinityScorer, "lora-affinity-scorer",
                             "1 active, 0.8 free slot, 0.6 waiting, 0 full"))

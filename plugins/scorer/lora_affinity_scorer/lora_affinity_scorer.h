#pragma once

#include <string_view>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// lora-affinity-scorer: prefers endpoints that can serve the request's LoRA adapter soonest.
// First match wins: 1.0 the adapter is active; 0.8 a slot is free (active + waiting adapters
// < max-loras); 0.6 the adapter is waiting to load; 0 otherwise. Without an adapter in the
// request every endpoint scores 1; with one, an endpoint without metrics scores 0.
class LoraAffinityScorer : public cpp::Plugin, public cpp::Scorer {
 public:
  static constexpr epp_scorer_category kCategory = EPP_SCORER_AFFINITY;
  static constexpr double kActive = 1.0;
  static constexpr double kFreeSlot = 0.8;
  static constexpr double kWaiting = 0.6;

  explicit LoraAffinityScorer(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;

 private:
  static double affinity(const cpp::Endpoint& endpoint, std::string_view adapter);
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLoraAffinityScorerEntry(const epp_entry_args* args);

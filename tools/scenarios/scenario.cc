#include "tools/scenarios/scenario.h"

#include <algorithm>

namespace epp::scenarios {

bool Report::check(bool held, std::string promise, std::string detail) {
  checks_.push_back({std::move(promise), held, std::move(detail)});
  return held;
}

bool Report::ok() const {
  return !checks_.empty() &&
         std::all_of(checks_.begin(), checks_.end(), [](const Check& c) { return c.held; });
}

std::string formatChecks(const Report& report) {
  std::string out;
  for (const Check& c : report.checks()) {
    out += c.held ? "  ok    " : "  FAIL  ";
    out += c.promise;
    if (!c.detail.empty()) out += ": " + c.detail;
    out += "\n";
  }
  return out;
}

const std::vector<Scenario>& allScenarios() {
  static const std::vector<Scenario> all = {
      {"lora-priority",
       "a critical request for a LoRA adapter goes to a server that has the adapter loaded",
       runLoraPriority},
      {"load-spread", "base-model requests spread over the servers by their load", runLoadSpread},
      {"burst-shedding",
       "a burst beyond capacity waits in eppd; critical requests are served, sheddable ones get "
       "429 (band full) or 503 (waited too long)",
       runBurstShedding},
      {"many-endpoints",
       "16 servers of three GPU types, placed by capability, prefix cache, load and cost together",
       runManyEndpoints},
      {"lora-fallback", "a LoRA request no server can take falls back to the base model",
       runLoraFallback},
  };
  return all;
}

}  // namespace epp::scenarios

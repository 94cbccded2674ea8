// Plugin kinds for config tests: the built-in types (as their libraries declare them) and,
// on request, the reference types eppd does not ship yet.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "epp/abi.h"
#include "host/config/picker_config.h"

namespace epp::config::testing {

inline std::map<std::string, uint32_t> builtinKinds() {
  return {
      {"queue-scorer", EPP_KIND_SCORER},
      {"kv-cache-utilization-scorer", EPP_KIND_SCORER},
      {"running-requests-size-scorer", EPP_KIND_SCORER},
      {"lora-affinity-scorer", EPP_KIND_SCORER},
      {"prefix-cache-scorer", EPP_KIND_SCORER | EPP_KIND_REQUEST_HOOKS},
      {"approx-prefix-cache-producer", EPP_KIND_REQUEST_HOOKS},
      {"precise-prefix-cache-scorer", EPP_KIND_SCORER | EPP_KIND_DATA_HOOKS},
      {"max-score-picker", EPP_KIND_PICKER},
      {"random-picker", EPP_KIND_PICKER},
      {"weighted-random-picker", EPP_KIND_PICKER},
      {"round-robin-picker", EPP_KIND_PICKER},
      {"power-of-two-picker", EPP_KIND_PICKER},
      {"least-request-picker", EPP_KIND_PICKER},
      {"least-response-time-picker",
       EPP_KIND_PICKER | EPP_KIND_REQUEST_HOOKS | EPP_KIND_DATA_HOOKS},
      {"single-profile-handler", EPP_KIND_PROFILE_HANDLER},
      {"data-parallel-profile-handler", EPP_KIND_PROFILE_HANDLER},
      {"disagg-profile-handler", EPP_KIND_PROFILE_HANDLER},
      {"pd-profile-handler", EPP_KIND_PROFILE_HANDLER},
      {"adaptive-profile-handler", EPP_KIND_PROFILE_HANDLER},
      {"cost-scorer", EPP_KIND_SCORER},
      {"cost-budget-filter", EPP_KIND_FILTER},
      {"capability-filter", EPP_KIND_FILTER},
      {"weighted-round-robin-picker", EPP_KIND_PICKER},
      {"consistent-hash-picker", EPP_KIND_PICKER},
      {"prefix-based-pd-decider", EPP_KIND_REQUEST_HOOKS},
      {"always-disagg-pd-decider", EPP_KIND_REQUEST_HOOKS},
      {"low-queue-filter", EPP_KIND_FILTER},
      {"least-queue-filter", EPP_KIND_FILTER},
      {"least-kv-cache-filter", EPP_KIND_FILTER},
      {"lora-affinity-filter", EPP_KIND_FILTER},
      {"decode-filter", EPP_KIND_FILTER},
      {"prefill-filter", EPP_KIND_FILTER},
      {"utilization-detector", EPP_KIND_SATURATION_DETECTOR | EPP_KIND_FILTER},
      {"concurrency-detector",
       EPP_KIND_SATURATION_DETECTOR | EPP_KIND_FILTER | EPP_KIND_REQUEST_HOOKS},
      {"weighted-splitter", EPP_KIND_TRAFFIC_SPLITTER},
      {"canary-splitter", EPP_KIND_TRAFFIC_SPLITTER},
      {"sticky-splitter", EPP_KIND_TRAFFIC_SPLITTER},
  };
}

// Built-ins with the flow-control policies too (examples may name them; left out of
// builtinKinds() so the resolver tests see no injected policies).
inline std::map<std::string, uint32_t> builtinKindsWithPolicies() {
  auto kinds = builtinKinds();
  for (const char* type : {"global-strict-fairness-policy", "round-robin-fairness-policy"}) {
    kinds[type] = EPP_KIND_FAIRNESS_POLICY;
  }
  for (const char* type : {"fcfs-ordering-policy", "lifo-ordering-policy", "edf-ordering-policy",
                           "priority-ordering-policy", "slo-deadline-ordering-policy"}) {
    kinds[type] = EPP_KIND_ORDERING_POLICY;
  }
  return kinds;
}

// Built-ins plus what the reference example and llm-d configs use.
inline std::map<std::string, uint32_t> referenceKinds() {
  auto kinds = builtinKinds();
  kinds["metrics-data-source"] = EPP_KIND_DATA_HOOKS;
  kinds["core-metrics-extractor"] = EPP_KIND_DATA_HOOKS;
  kinds["round-robin-fairness-policy"] = EPP_KIND_FAIRNESS_POLICY;
  kinds["global-strict-fairness-policy"] = EPP_KIND_FAIRNESS_POLICY;
  kinds["edf-ordering-policy"] = EPP_KIND_ORDERING_POLICY;
  kinds["fcfs-ordering-policy"] = EPP_KIND_ORDERING_POLICY;
  kinds["static-usage-limit-policy"] = 0;
  kinds["openai-parser"] = 0;
  return kinds;
}

inline KindLookup lookupIn(std::map<std::string, uint32_t> kinds) {
  return [kinds = std::move(kinds)](const std::string& type) -> std::optional<uint32_t> {
    auto it = kinds.find(type);
    if (it == kinds.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace epp::config::testing

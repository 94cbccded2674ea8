// File: host/routing/lora_placement.h
//
// Whether a LoRA adapter can be served by the candidate endpoints, from the adapter state
// their backend adapters report (vLLM's vllm:lora_requests_info: running and waiting
// adapters, max_lora): the question behind the LoRA fallback.
#pragma once

#include <span>
#include <string_view>

#include "epp/abi.h"

namespace epp::routing {

enum class Placement {
  kHeld,      // an endpoint has it loaded, or queued to load (waiting)
  kFreeSlot,  // none has it, but one has fewer adapters than max_lora
  kUnknown,   // some endpoint's adapter state is unknown (no metrics yet), or no candidates
  kNowhere,   // every candidate reported, and none holds it or has a free slot
};

const char* placementName(Placement p);

// Only kNowhere is evidence enough to reroute: an endpoint without metrics may well hold
// the adapter, and with no candidate at all the request fails later for that reason.
Placement placeAdapter(std::string_view adapter,
                       std::span<const epp_endpoint_view* const> candidates);

}  // namespace epp::routing

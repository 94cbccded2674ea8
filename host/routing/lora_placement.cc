#include "host/routing/lora_placement.h"

#include <cstdint>

namespace epp::routing {
namespace {

bool listed(const epp_str* items, size_t count, std::string_view name) {
  for (size_t i = 0; i < count; ++i) {
    if (std::string_view(items[i].ptr, items[i].len) == name) return true;
  }
  return false;
}

}  // namespace

const char* placementName(Placement p) {
  switch (p) {
    case Placement::kHeld:
      return "held";
    case Placement::kFreeSlot:
      return "free-slot";
    case Placement::kUnknown:
      return "unknown";
    case Placement::kNowhere:
      return "nowhere";
  }
  return "unknown";
}

Placement placeAdapter(std::string_view adapter,
                       std::span<const epp_endpoint_view* const> candidates) {
  if (candidates.empty()) return Placement::kUnknown;
  bool unknown = false;
  bool freeSlot = false;
  for (const epp_endpoint_view* e : candidates) {
    if ((e->flags & EPP_ENDPOINT_FLAG_NO_METRICS) != 0) {
      unknown = true;
      continue;
    }
    if (listed(e->active_loras, e->active_loras_count, adapter) ||
        listed(e->waiting_loras, e->waiting_loras_count, adapter)) {
      return Placement::kHeld;
    }
    const auto used = static_cast<int64_t>(e->active_loras_count + e->waiting_loras_count);
    freeSlot = freeSlot || used < e->max_loras;
  }
  if (freeSlot) return Placement::kFreeSlot;
  return unknown ? Placement::kUnknown : Placement::kNowhere;
}

}  // namespace epp::routing

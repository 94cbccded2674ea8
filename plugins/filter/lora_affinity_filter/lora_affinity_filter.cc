#include "plugins/filter/lora_affinity_filter/lora_affinity_filter.h"

#include <algorithm>
#include <string_view>

namespace epp::plugins {
namespace {

enum class Group : uint8_t { kNone, kAffinity, kAvailable };

Group groupOf(const cpp::Endpoint& e, std::string_view adapter) {
  if (!e.hasMetrics()) return Group::kNone;  // adapter state unknown
  const cpp::StrList active = e.activeLoras();
  const cpp::StrList waiting = e.waitingLoras();
  if (active.contains(adapter) || waiting.contains(adapter)) return Group::kAffinity;
  if (static_cast<int64_t>(active.size() + waiting.size()) < e.maxLoras()) {
    return Group::kAvailable;
  }
  return Group::kNone;
}

}  // namespace

LoraAffinityFilter::LoraAffinityFilter(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      threshold_(ctx.params().getDouble("threshold", kDefaultThreshold, /*min=*/0.0,
                                        /*max=*/1.0)) {}

void LoraAffinityFilter::filter(const cpp::Request& request, const cpp::EndpointList& candidates,
                                std::span<uint8_t> keep) {
  const std::string_view adapter = request.loraAdapter();
  if (adapter.empty()) return;  // a base-model request needs no adapter: keep all

  std::vector<Group> groups(candidates.size());
  bool anyAffinity = false;
  bool anyAvailable = false;
  for (size_t i = 0; i < candidates.size(); ++i) {
    groups[i] = groupOf(candidates[i], adapter);
    anyAffinity = anyAffinity || groups[i] == Group::kAffinity;
    anyAvailable = anyAvailable || groups[i] == Group::kAvailable;
  }
  // Mostly stick to the endpoints that hold the adapter, but now and then load it on a free
  // slot elsewhere so that a popular adapter spreads instead of hot-spotting.
  Group chosen = anyAffinity ? Group::kAffinity : Group::kAvailable;
  if (anyAffinity && anyAvailable && request.randomUnit() >= threshold_) {
    chosen = Group::kAvailable;
  }
  for (size_t i = 0; i < candidates.size(); ++i) keep[i] = groups[i] == chosen;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLoraAffinityFilterEntry, "lora-affinity-filter", "1.0.0",
                    "Keeps endpoints that hold the requested LoRA adapter or have room for it",
                    EPP_TYPE(epp::plugins::LoraAffinityFilter, "lora-affinity-filter",
                             "adapter holders with probability threshold, else free slots"))

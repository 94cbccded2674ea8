#include "plugins/picker/round_robin_picker/round_robin_picker.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace epp::plugins {

RoundRobinPicker::RoundRobinPicker(const cpp::CreateContext& ctx)
    : Plugin(ctx), maxNumOfEndpoints_(ctx.params().getInt("maxNumOfEndpoints", 1, /*min=*/1)) {}

size_t RoundRobinPicker::pick(const cpp::Request&, const cpp::EndpointList& candidates,
                              std::span<const double>, std::span<uint32_t> picked) {
  const size_t count = candidates.size();
  if (count == 0) return 0;
  // Ordered by endpoint id, not by list position: the turn follows the endpoints, so a
  // request whose candidate list comes in another order does not restart the rotation.
  std::vector<uint32_t> order(count);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return candidates[a].id() < candidates[b].id(); });
  const size_t start = next_.fetch_add(1, std::memory_order_relaxed) % count;
  const size_t n = std::min({static_cast<size_t>(maxNumOfEndpoints_), count, picked.size()});
  for (size_t i = 0; i < n; ++i) picked[i] = order[(start + i) % count];
  return n;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppRoundRobinPickerEntry, "round-robin-picker", "1.0.0",
                    "Takes the candidates in turn",
                    EPP_TYPE(epp::plugins::RoundRobinPicker, "round-robin-picker",
                             "next candidate in turn (by endpoint id), ignoring scores"))

#include "plugins/picker/random_picker/random_picker.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

namespace epp::plugins {
RandomPicker::RandomPicker(const cpp::CreateContext& ctx)
    : Plugin(ctx), maxNumOfEndpoints_(ctx.params().getInt("maxNumOfEndpoints", 1, /*min=*/1)) {}

size_t RandomPicker::pick(const cpp::Request& request, const cpp::EndpointList& candidates,
                          std::span<const double>, std::span<uint32_t> picked) {
  const size_t n =
      std::min({static_cast<size_t>(maxNumOfEndpoints_), candidates.size(), picked.size()});
  std::vector<uint32_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0u);
  // Partial Fisher-Yates: the first n slots end up a uniform sample without replacement.
  cpp::Request::Generator random = request.generator();
  for (size_t i = 0; i < n; ++i) {
    std::uniform_int_distribution<size_t> draw(i, order.size() - 1);
    std::swap(order[i], order[draw(random)]);
    picked[i] = order[i];
  }
  return n;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppRandomPickerEntry, "random-picker", "1.0.0",
                    "Picks endpoints uniformly at random",
                    EPP_TYPE(epp::plugins::RandomPicker, "random-picker",
                             "maxNumOfEndpoints distinct endpoints, uniformly, ignoring scores"))

#include "plugins/picker/weighted_random_picker/weighted_random_picker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace epp::plugins {
namespace {

constexpr double kNeverFirst = -std::numeric_limits<double>::infinity();

}  // namespace

WeightedRandomPicker::WeightedRandomPicker(const cpp::CreateContext& ctx)
    : Plugin(ctx), maxNumOfEndpoints_(ctx.params().getInt("maxNumOfEndpoints", 1, /*min=*/1)) {}

size_t WeightedRandomPicker::pick(const cpp::Request& request, const cpp::EndpointList& candidates,
                                  std::span<const double> scores, std::span<uint32_t> picked) {
  const size_t n =
      std::min({static_cast<size_t>(maxNumOfEndpoints_), candidates.size(), picked.size()});
  std::vector<uint32_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0u);
  // The shuffle orders the candidates that get no key (score <= 0) at random; when no score
  // is positive it is the whole (uniform) pick.
  cpp::Request::Generator random = request.generator();
  std::shuffle(order.begin(), order.end(), random);

  // A-Res: key u^(1/w) for u uniform in (0, 1); the n largest keys are a weighted sample
  // without replacement. Compared as log(u) / w, which orders the same and does not
  // underflow to 0 for small weights.
  std::vector<double> keys(candidates.size(), kNeverFirst);
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!(scores[i] > 0)) continue;  // 0, negative and NaN scores are drawn last
    const double u = std::max(request.randomUnit(), std::numeric_limits<double>::min());
    keys[i] = std::log(u) / scores[i];
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return keys[a] > keys[b]; });
  std::copy_n(order.begin(), n, picked.begin());
  return n;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppWeightedRandomPickerEntry, "weighted-random-picker", "1.0.0",
                    "Picks endpoints at random in proportion to their scores",
                    EPP_TYPE(epp::plugins::WeightedRandomPicker, "weighted-random-picker",
                             "A-Res weighted sampling without replacement"))

#include "plugins/picker/power_of_two_picker/power_of_two_picker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace epp::plugins {
namespace {

// NaN never wins (the host rejects NaN scores before picking).
double rank(double score) {
  return std::isnan(score) ? -std::numeric_limits<double>::infinity() : score;
}

}  // namespace

PowerOfTwoPicker::PowerOfTwoPicker(const cpp::CreateContext& ctx)
    : Plugin(ctx), maxNumOfEndpoints_(ctx.params().getInt("maxNumOfEndpoints", 1, /*min=*/1)) {}

size_t PowerOfTwoPicker::pick(const cpp::Request& request, const cpp::EndpointList& candidates,
                              std::span<const double> scores, std::span<uint32_t> picked) {
  const size_t n =
      std::min({static_cast<size_t>(maxNumOfEndpoints_), candidates.size(), picked.size()});
  std::vector<uint32_t> left(candidates.size());
  std::iota(left.begin(), left.end(), 0u);
  cpp::Request::Generator random = request.generator();
  for (size_t slot = 0; slot < n; ++slot) {
    size_t winner = 0;
    if (left.size() > 1) {
      // Two distinct positions, uniformly: b is drawn among the others and skips a.
      const size_t a = std::uniform_int_distribution<size_t>(0, left.size() - 1)(random);
      size_t b = std::uniform_int_distribution<size_t>(0, left.size() - 2)(random);
      if (b >= a) ++b;
      // On a tie `a` wins: a is itself a uniform draw, so tied endpoints stay equally likely.
      winner = rank(scores[left[b]]) > rank(scores[left[a]]) ? b : a;
    }
    picked[slot] = left[winner];
    left[winner] = left.back();
    left.pop_back();
  }
  return n;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppPowerOfTwoPickerEntry, "power-of-two-picker", "1.0.0",
                    "Best of two random candidates",
                    EPP_TYPE(epp::plugins::PowerOfTwoPicker, "power-of-two-picker",
                             "two random candidates, the higher score wins"))

#include "plugins/picker/max_score_picker/max_score_picker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace epp::plugins {
namespace {

// NaN never wins (the host rejects NaN scores before picking; this only keeps the order
// strict-weak if one slips through).
double rank(double score) {
  return std::isnan(score) ? -std::numeric_limits<double>::infinity() : score;
}

}  // namespace

MaxScorePicker::MaxScorePicker(const cpp::CreateContext& ctx)
    : Plugin(ctx), maxNumOfEndpoints_(ctx.params().getInt("maxNumOfEndpoints", 1, /*min=*/1)) {}

size_t MaxScorePicker::pick(const cpp::Request& request, const cpp::EndpointList& candidates,
                            std::span<const double> scores, std::span<uint32_t> picked) {
  if (candidates.size() == 0 || picked.empty()) return 0;
  cpp::Request::Generator random = request.generator();
  if (maxNumOfEndpoints_ == 1 || picked.size() == 1) {
    // One pass, no allocation: among the k endpoints tied at the top so far, the newest
    // replaces the held one with probability 1/k, so each is equally likely to win.
    uint32_t best = 0;
    uint64_t ties = 1;
    for (uint32_t i = 1; i < candidates.size(); ++i) {
      const double s = rank(scores[i]);
      const double top = rank(scores[best]);
      if (s > top) {
        best = i;
        ties = 1;
      } else if (s == top && random() % ++ties == 0) {
        best = i;
      }
    }
    picked[0] = best;
    return 1;
  }
  std::vector<uint32_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0u);
  // Shuffle, then sort stably: ties keep the shuffled order, so each tied endpoint is equally
  // likely to come first.
  std::shuffle(order.begin(), order.end(), random);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return rank(scores[a]) > rank(scores[b]); });
  const size_t n = std::min({static_cast<size_t>(maxNumOfEndpoints_), order.size(), picked.size()});
  std::copy_n(order.begin(), n, picked.begin());
  return n;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppMaxScorePickerEntry, "max-score-picker", "1.0.0",
                    "Picks the highest-scored endpoints",
                    EPP_TYPE(epp::plugins::MaxScorePicker, "max-score-picker",
                             "top maxNumOfEndpoints by score, ties broken at random"))

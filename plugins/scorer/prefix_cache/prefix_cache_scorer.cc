#include "plugins/scorer/prefix_cache/prefix_cache_scorer.h"

#include <algorithm>
#include <cmath>

namespace epp::plugins {

PrefixCacheScorer::PrefixCacheScorer(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      producerConfig_(PrefixCacheConfig::parse(
          ctx.params(), [this](const std::string& m) { log(cpp::LogLevel::kWarn, m); })) {
  if (PrefixCacheConfig::anySet(ctx.params())) {
    log(cpp::LogLevel::kInfo,
        "prefix-cache-scorer parameters tune the prefix index, which lives in "
        "approx-prefix-cache-producer; they apply to the producer eppd creates when the config "
        "has none. Move them to an approx-prefix-cache-producer entry.");
  }
}

void PrefixCacheScorer::score(const cpp::Request& request, const cpp::EndpointList& candidates,
                              std::span<double> scores) {
  std::fill(scores.begin(), scores.end(), 0.0);
  const auto ratios = request.dataGet(kMatchRatioKey, candidates);
  if (!ratios) return;  // no producer ran for this request
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double ratio = (*ratios)[i];
    scores[i] = std::isfinite(ratio) ? std::clamp(ratio, 0.0, 1.0) : 0.0;
  }
}

}  // namespace epp::plugins

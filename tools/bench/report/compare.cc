#include "tools/bench/report/compare.h"

#include <cmath>
#include <limits>

namespace epp::bench {

std::vector<MetricValue> comparableMetrics(const Summary& s) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return {
      {"ttft_p50", "TTFT p50", Unit::kSeconds, s.ttft.p50},
      {"ttft_p90", "TTFT p90", Unit::kSeconds, s.ttft.p90},
      {"ttft_p99", "TTFT p99", Unit::kSeconds, s.ttft.p99},
      {"ttft_mean", "TTFT mean", Unit::kSeconds, s.ttft.mean},
      {"e2e_p50", "E2E p50", Unit::kSeconds, s.e2e.p50},
      {"e2e_p90", "E2E p90", Unit::kSeconds, s.e2e.p90},
      {"e2e_p99", "E2E p99", Unit::kSeconds, s.e2e.p99},
      {"output_tokens_per_s", "output tokens/s", Unit::kPerSecond, s.outputTokensPerSecond},
      {"requests_per_s", "requests/s", Unit::kPerSecond, s.requestsPerSecond},
      {"prefix_hit_rate", "prefix hit rate", Unit::kFraction, s.prefixHitRate.value_or(nan)},
      {"cached_token_rate", "cached tokens", Unit::kFraction, s.cachedTokenRate.value_or(nan)},
  };
}

double ratio(double value, double baseline) {
  if (std::isnan(value) || std::isnan(baseline) || baseline == 0) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return value / baseline;
}

}  // namespace epp::bench

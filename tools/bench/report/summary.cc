#include "tools/bench/report/summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace epp::bench {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<size_t>(std::floor(rank));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = rank - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

Distribution distributionOf(const std::vector<double>& values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    d.mean = d.p50 = d.p90 = d.p99 = d.max = nan;
    return d;
  }
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double v : sorted) sum += v;
  d.mean = sum / static_cast<double>(sorted.size());
  // percentile() sorts again; these are already sorted, so that is a linear pass.
  d.p50 = percentile(sorted, 50);
  d.p90 = percentile(sorted, 90);
  d.p99 = percentile(sorted, 99);
  d.max = sorted.back();
  return d;
}

Summary summarize(const Run& run) {
  Summary s;
  s.name = run.name;
  s.mode = run.mode;
  s.requests = run.records.size();
  s.wallSeconds = run.wallSeconds;
  std::vector<double> ttft;
  std::vector<double> e2e;
  size_t routed = 0;
  uint64_t cached = 0;
  uint64_t cachedInput = 0;
  bool anyCached = false;
  std::map<std::string, std::vector<double>> classTtft;
  for (const RequestRecord& r : run.records) {
    if (!r.objective.empty()) {
      ClassSummary& c = s.classes[r.objective];
      ++c.requests;
      if (!r.ok()) {
        ++c.errorsByCode[r.error];
      } else {
        ++c.ok;
        if (r.ttft) classTtft[r.objective].push_back(*r.ttft);
      }
    }
    s.inputTokens += r.inputTokens;
    if (!r.endpoint.empty()) {
      ++s.endpoints[r.endpoint].requests;
      ++routed;
    }
    if (r.cachedTokens) {
      anyCached = true;
      cached += *r.cachedTokens;
      cachedInput += r.inputTokens;
    }
    if (!r.ok()) {
      ++s.errorsByCode[r.error];
      continue;
    }
    ++s.ok;
    s.outputTokens += r.outputTokens;
    e2e.push_back(r.e2e);
    // A successful request without a content token (zero output) has no TTFT.
    if (r.ttft) ttft.push_back(*r.ttft);
  }
  s.ttft = distributionOf(ttft);
  s.e2e = distributionOf(e2e);
  for (auto& [objective, c] : s.classes) c.ttft = distributionOf(classTtft[objective]);
  for (auto& [endpoint, share] : s.endpoints) {
    share.share = static_cast<double>(share.requests) / static_cast<double>(routed);
  }
  if (s.wallSeconds > 0) {
    s.outputTokensPerSecond = static_cast<double>(s.outputTokens) / s.wallSeconds;
    s.requestsPerSecond = static_cast<double>(s.ok) / s.wallSeconds;
  }
  if (run.prefix && run.prefix->queries > 0)
    s.prefixHitRate = run.prefix->hits / run.prefix->queries;
  if (anyCached && cachedInput > 0) {
    s.cachedTokenRate = static_cast<double>(cached) / static_cast<double>(cachedInput);
  }
  return s;
}

}  // namespace epp::bench

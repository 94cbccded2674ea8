// File: tools/bench/report/compare.h
//
// The metrics runs are compared on, in table order, and their ratio against a baseline
// run. The table and the JSON report both use this list, so they always agree.
#pragma once

#include <string_view>
#include <vector>

#include "tools/bench/report/summary.h"

namespace epp::bench {

enum class Unit { kSeconds, kPerSecond, kFraction };

struct MetricValue {
  std::string_view key;    // JSON name: "ttft_p90"
  std::string_view label;  // table row: "TTFT p90"
  Unit unit = Unit::kSeconds;
  double value = 0;  // NaN when the run has no value (no successful request, not scraped)
};

std::vector<MetricValue> comparableMetrics(const Summary& summary);

// value / baseline; NaN when either is NaN or the baseline is 0.
double ratio(double value, double baseline);

}  // namespace epp::bench

// File: tools/sim/engine/histogram.h
//
// A Prometheus-style histogram with fixed upper bounds (seconds), filled by the engine
// and rendered by the server in whichever dialect it speaks.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace epp::sim {

class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double value);
  void clear();

  std::span<const double> bounds() const { return bounds_; }
  // counts()[i] observations ≤ bounds()[i] and > bounds()[i-1]; the last entry is +Inf.
  const std::vector<uint64_t>& counts() const { return counts_; }
  // Observations ≤ bounds()[i] (i == bounds().size() is +Inf), as Prometheus buckets are.
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::span<const double> bounds_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
};

// vLLM's bucket bounds, so dashboards built for it read the simulator the same way.
std::span<const double> ttftBuckets();
std::span<const double> itlBuckets();
std::span<const double> requestLatencyBuckets();  // e2e, queue, prefill, decode

}  // namespace epp::sim

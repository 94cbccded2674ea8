#include "tools/sim/engine/histogram.h"

#include <algorithm>
#include <array>

namespace epp::sim {
namespace {

constexpr std::array kTtft{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25, 0.5,   0.75,
                           1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160., 640.0, 2560.0};
constexpr std::array kItl{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                          0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
constexpr std::array kRequest{0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                              5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                              60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

}  // namespace

std::span<const double> ttftBuckets() { return kTtft; }
std::span<const double> itlBuckets() { return kItl; }
std::span<const double> requestLatencyBuckets() { return kRequest; }

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(bounds.size() + 1, 0) {}

void Histogram::observe(double value) {
  // First bound ≥ value: Prometheus buckets are "less than or equal".
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                 bounds_.begin());
  ++counts_[i];
  ++count_;
  sum_ += value;
}

void Histogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0;
}

uint64_t Histogram::cumulative(size_t i) const {
  uint64_t total = 0;
  for (size_t k = 0; k <= i && k < counts_.size(); ++k) total += counts_[k];
  return total;
}

}  // namespace epp::sim

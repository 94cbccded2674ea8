#include "tools/sim/engine/jitter.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace epp::sim {

double Jitter::uniform() {
  // 53 random bits, shifted off zero so log() below is finite.
  return (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53;
}

double Jitter::factor() {
  if (stdDev_ <= 0) return 1.0;
  double z;
  if (haveSpare_) {
    z = spare_;
    haveSpare_ = false;
  } else {
    double r = std::sqrt(-2.0 * std::log(uniform()));
    double theta = 2.0 * std::numbers::pi * uniform();
    z = r * std::cos(theta);
    spare_ = r * std::sin(theta);
    haveSpare_ = true;
  }
  return std::clamp(1.0 + stdDev_ * z, 0.3, 1.7);
}

}  // namespace epp::sim

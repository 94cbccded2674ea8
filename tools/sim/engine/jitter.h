// File: tools/sim/engine/jitter.h
//
// Seeded latency noise. Hand-written over std::normal_distribution on purpose: the
// standard leaves that distribution's algorithm to the library, and a replay must give
// the same numbers for a seed on every toolchain. mt19937_64's output is fixed by the
// standard; Box–Muller on top of it is too.
#pragma once

#include <cstdint>
#include <random>

namespace epp::sim {

class Jitter {
 public:
  Jitter(double stdDev, uint64_t seed) : stdDev_(stdDev), rng_(seed) {}
  // A factor 1 + stdDev × N(0,1), clamped to [0.3, 1.7]; exactly 1 when stdDev is 0.
  double factor();

 private:
  double uniform();  // in (0, 1)
  double stdDev_;
  std::mt19937_64 rng_;
  bool haveSpare_ = false;
  double spare_ = 0;
};

}  // namespace epp::sim

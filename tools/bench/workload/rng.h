// File: tools/bench/workload/rng.h
//
// The workload's random numbers: xoshiro256** seeded through splitmix64, with uniform and
// exponential draws written out here. Hand-written rather than <random> distributions
// because those are implementation-defined: the same seed must give the same workload on
// every standard library, or a replay is not reproducible elsewhere.
#pragma once

#include <cmath>
#include <cstdint>

namespace epp::bench {

// splitmix64: also the way independent streams are derived from (seed, purpose, index).
constexpr uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr uint64_t streamSeed(uint64_t seed, uint64_t purpose, uint64_t index = 0) {
  return mix64(mix64(seed ^ mix64(purpose)) ^ index);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& s : state_) {
      x += 0x9e3779b97f4a7c15ULL;
      s = mix64(x);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n); n > 0. Rejects the low values that would bias the modulo.
  uint64_t below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    uint64_t r = next();
    while (r < threshold) r = next();
    return r % n;
  }

  // Uniform in [lo, hi], inclusive.
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }

  // Exponential with the given rate (mean 1/rate).
  double exponential(double rate) { return -std::log1p(-uniform()) / rate; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace epp::bench

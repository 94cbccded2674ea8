// File: tools/sim/virtual_clock.h
//
// Maps wall time to the engine's virtual time: virtual = (wall − start) × scale, so a
// scale of 10 runs the model ten times faster than real time. A stall (fault injection)
// stops virtual time for a while; the engine then resumes where it stopped, as a hung
// GPU would.
#pragma once

#include <chrono>

#include "tools/sim/engine/engine_options.h"

namespace epp::sim {

class VirtualClock {
 public:
  using Wall = std::chrono::steady_clock::time_point;

  VirtualClock(Wall start, double scale) : start_(start), scale_(scale) {}

  Micros at(Wall wall) const {
    Wall effective = wall;
    if (stallLength_.count() > 0 && wall >= stallStart_) {
      effective = wall < stallStart_ + stallLength_ ? stallStart_ : wall - stallLength_;
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(effective - start_);
    return static_cast<Micros>(static_cast<double>(us.count()) * scale_);
  }

  Wall wallAt(Micros virtualTime) const {
    const auto real = std::chrono::microseconds(
        static_cast<int64_t>(static_cast<double>(virtualTime) / scale_ + 0.5));
    Wall wall = start_ + real;
    if (stallLength_.count() > 0 && wall >= stallStart_) wall += stallLength_;
    return wall;
  }

  // Virtual time stands still from `from` for `length` (one stall per clock).
  void stall(Wall from, std::chrono::steady_clock::duration length) {
    stallStart_ = from;
    stallLength_ = length;
  }
  bool stalled(Wall wall) const {
    return stallLength_.count() > 0 && wall >= stallStart_ && wall < stallStart_ + stallLength_;
  }

 private:
  Wall start_;
  double scale_;
  Wall stallStart_{};
  std::chrono::steady_clock::duration stallLength_{0};
};

}  // namespace epp::sim

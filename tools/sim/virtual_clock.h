// File: tools/sim/virtual_clock.h
//
// Maps wall time to the engine's virtual time: virtual = (wall − start − stalled) × scale,
// so a scale of 10 runs the model ten times faster than real time. A stall (fault injection)
// stops virtual time for a while; the engine then resumes where it stopped, as a hung GPU
// would. Stalls may repeat (--stall-after, then POST /sim/fault any number of times); one
// that starts while another lasts extends it.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "tools/sim/engine/engine_options.h"

namespace epp::sim {

class VirtualClock {
 public:
  using Wall = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  VirtualClock(Wall start, double scale) : start_(start), scale_(scale) {}

  Micros at(Wall wall) const {
    Duration stalled{0};
    for (const Stall& s : stalls_) {
      if (wall <= s.from) break;
      stalled += std::min(s.length, wall - s.from);
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(wall - start_ - stalled);
    return static_cast<Micros>(static_cast<double>(us.count()) * scale_);
  }

  // The first wall time at which virtual time reaches `virtualTime`.
  Wall wallAt(Micros virtualTime) const {
    const auto real = std::chrono::microseconds(
        static_cast<int64_t>(static_cast<double>(virtualTime) / scale_ + 0.5));
    Wall wall = start_ + real;
    for (const Stall& s : stalls_) {
      if (wall < s.from) break;
      wall += s.length;
    }
    return wall;
  }

  // Virtual time stands still from `from` for `length`. Stalls come in time order: `from`
  // is never before an earlier stall's start.
  void stall(Wall from, Duration length) {
    if (length <= Duration::zero()) return;
    if (!stalls_.empty() && from <= stalls_.back().from + stalls_.back().length) {
      Stall& last = stalls_.back();
      last.length = std::max(last.from + last.length, from + length) - last.from;
      return;
    }
    stalls_.push_back({from, length});
  }
  bool stalled(Wall wall) const {
    return !stalls_.empty() && wall >= stalls_.back().from &&
           wall < stalls_.back().from + stalls_.back().length;
  }

 private:
  struct Stall {
    Wall from;
    Duration length;
  };

  Wall start_;
  double scale_;
  std::vector<Stall> stalls_;  // in time order, disjoint
};

}  // namespace epp::sim

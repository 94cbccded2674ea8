// File: host/common/debouncer.h
//
// Turns a burst of change notices into one action: due once nothing new arrived for the
// quiet period (an editor's write-rename-chmod, a ConfigMap's three-step symlink swap),
// but never later than `maxDelay` after the burst began, so a file rewritten every 100 ms
// still gets picked up. Pure bookkeeping on caller-supplied times (testable without
// sleeping); the owner guards it with its own lock.
//
//   Debouncer d(200ms, 2s);
//   d.poke(now, "config.yaml");
//   if (d.pending() && now >= d.due()) run(d.take());
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace epp::common {

class Debouncer {
 public:
  using Clock = std::chrono::steady_clock;

  Debouncer(Clock::duration quiet, Clock::duration maxDelay);

  // Records one notice; `reason` is kept (once) for the log line of the action.
  void poke(Clock::time_point now, const std::string& reason);
  bool pending() const { return pending_; }
  // When the pending burst is due; meaningful only while pending().
  Clock::time_point due() const;
  bool isDue(Clock::time_point now) const { return pending_ && now >= due(); }
  // The reasons of the burst, in arrival order; clears it.
  std::vector<std::string> take();

 private:
  Clock::duration quiet_;
  Clock::duration maxDelay_;
  bool pending_ = false;
  Clock::time_point first_{};
  Clock::time_point last_{};
  std::vector<std::string> reasons_;
};

}  // namespace epp::common

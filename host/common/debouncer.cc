#include "host/common/debouncer.h"

#include <algorithm>
#include <utility>

namespace epp::common {

Debouncer::Debouncer(Clock::duration quiet, Clock::duration maxDelay)
    : quiet_(quiet), maxDelay_(std::max(maxDelay, quiet)) {}

void Debouncer::poke(Clock::time_point now, const std::string& reason) {
  if (!pending_) {
    pending_ = true;
    first_ = now;
  }
  last_ = now;
  // A burst repeats the same few names; keeping each once bounds the list.
  if (std::find(reasons_.begin(), reasons_.end(), reason) == reasons_.end() &&
      reasons_.size() < 16) {
    reasons_.push_back(reason);
  }
}

Debouncer::Clock::time_point Debouncer::due() const {
  return std::min(last_ + quiet_, first_ + maxDelay_);
}

std::vector<std::string> Debouncer::take() {
  pending_ = false;
  return std::exchange(reasons_, {});
}

}  // namespace epp::common

#include "host/runtime/decision_log.h"

namespace epp::runtime {

void DecisionLog::add(DecisionRecord record) {
  if (capacity_ == 0) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ring_.size() < capacity_) {
      ring_.push_back(std::move(record));
      return;
    }
    // The oldest record changes places with the new one: it is destroyed with `record`,
    // after the lock is released, so concurrent requests never wait on its destruction.
    std::swap(ring_[next_], record);
    next_ = (next_ + 1) % capacity_;
  }
}

std::vector<DecisionRecord> DecisionLog::last(size_t n) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<DecisionRecord> out;
  // Newest first: the slot before next_ (the ring is in insertion order until it fills).
  const size_t size = ring_.size();
  const size_t newest = ring_.size() < capacity_ ? size : next_ + size;
  for (size_t k = 1; k <= size && out.size() < n; ++k) out.push_back(ring_[(newest - k) % size]);
  return out;
}

}  // namespace epp::runtime

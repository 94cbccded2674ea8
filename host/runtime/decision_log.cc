#include "host/runtime/decision_log.h"

namespace epp::runtime {

void DecisionLog::add(DecisionRecord record) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (records_.size() >= capacity_) records_.pop_front();
  records_.push_back(std::move(record));
}

std::vector<DecisionRecord> DecisionLog::last(size_t n) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<DecisionRecord> out;
  for (auto it = records_.rbegin(); it != records_.rend() && out.size() < n; ++it) {
    out.push_back(*it);
  }
  return out;
}

}  // namespace epp::runtime

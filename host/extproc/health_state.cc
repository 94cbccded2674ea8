#include "host/extproc/health_state.h"

#include <utility>

namespace epp::extproc {

void HealthState::setReady(bool ready) {
  {
    std::lock_guard lock(mu_);
    if (ready_ == ready) return;
    ready_ = ready;
  }
  std::lock_guard notify(notifyMu_);
  for (auto& [id, listener] : listeners_) listener();
}

bool HealthState::ready() const {
  std::lock_guard lock(mu_);
  return ready_;
}

ServingStatus HealthState::status(std::string_view service) const {
  if (service == kLiveness) return ServingStatus::kServing;
  if (service == kReadiness || service == kExtProcService || service.empty()) {
    return ready() ? ServingStatus::kServing : ServingStatus::kNotServing;
  }
  return ServingStatus::kUnknownService;
}

uint64_t HealthState::subscribe(Listener listener) {
  std::lock_guard notify(notifyMu_);
  uint64_t id = nextId_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void HealthState::unsubscribe(uint64_t id) {
  std::lock_guard notify(notifyMu_);
  listeners_.erase(id);
}

}  // namespace epp::extproc

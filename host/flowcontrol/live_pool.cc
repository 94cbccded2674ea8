#include "host/flowcontrol/live_pool.h"

namespace epp::flowcontrol {

std::shared_ptr<const LiveViews> liveViews(const datalayer::EndpointSnapshotPtr& snapshot) {
  auto next = std::make_shared<LiveViews>();
  next->snapshot = snapshot;
  next->views.reserve(snapshot->size());
  for (size_t i = 0; i < snapshot->size(); ++i) {
    epp_endpoint_view v = *snapshot->view(i);
    v.inflight_requests = snapshot->inflight(i);
    next->views.push_back(v);
  }
  next->pointers.reserve(next->views.size());
  for (const auto& v : next->views) next->pointers.push_back(&v);
  return next;
}

std::shared_ptr<const LiveViews> LivePool::get(const datalayer::EndpointSnapshotPtr& snapshot,
                                               int64_t nowNs) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_ && current_->snapshot == snapshot && nowNs - current_->builtNs <= maxAgeNs_) {
    return current_;
  }
  auto next = std::const_pointer_cast<LiveViews>(liveViews(snapshot));
  next->builtNs = nowNs;
  current_ = std::move(next);
  return current_;
}

}  // namespace epp::flowcontrol

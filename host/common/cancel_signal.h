// File: host/common/cancel_signal.h
//
// "The client went away" for one request, set by the transport and read by whoever holds
// the request. A holder that parks the request (a flow-control queue) installs a hook to
// hear about it at once instead of noticing at its next sweep.
//
// The hook runs on the cancelling thread, possibly under the transport's locks: it must
// only hand work elsewhere (post to an executor), never call back into the transport.
// clearHook() waits for a hook that is running, so after it returns the hook is not
// running and never will.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>

namespace epp::common {

class CancelSignal {
 public:
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

  // Sets the signal; the first call runs the hook, if one is installed.
  void cancel() {
    if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (hook_) {
      auto hook = std::move(hook_);
      hook_ = nullptr;
      hook();
    }
  }

  // Installs `hook` (replacing any other). Returns false, without keeping it, when the
  // signal is already set.
  bool setHook(std::function<void()> hook) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cancelled()) return false;
    hook_ = std::move(hook);
    return true;
  }

  void clearHook() {
    std::lock_guard<std::mutex> lock(mutex_);
    hook_ = nullptr;
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;  // guards hook_; held while it runs
  std::function<void()> hook_;
};

}  // namespace epp::common

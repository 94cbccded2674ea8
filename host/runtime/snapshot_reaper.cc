#include "host/runtime/snapshot_reaper.h"

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "host/runtime/config_snapshot.h"

namespace epp::runtime {
namespace {

struct Queue {
  std::mutex mutex;
  int active = 0;
  std::vector<std::unique_ptr<const ConfigSnapshot>> pending;
};

Queue& queue() {
  static auto* q = new Queue();  // never destroyed: snapshots may drop during exit
  return *q;
}

}  // namespace

SnapshotReaper::SnapshotReaper() {
  std::lock_guard lock(queue().mutex);
  ++queue().active;
}

SnapshotReaper::~SnapshotReaper() {
  {
    std::lock_guard lock(queue().mutex);
    --queue().active;
  }
  reap();
}

size_t SnapshotReaper::reap() {
  std::vector<std::unique_ptr<const ConfigSnapshot>> doomed;
  {
    std::lock_guard lock(queue().mutex);
    doomed = std::exchange(queue().pending, {});
  }
  return doomed.size();  // destroyed here, outside the lock
}

void releaseSnapshot(const ConfigSnapshot* snapshot) {
  std::unique_ptr<const ConfigSnapshot> owned(snapshot);
  std::lock_guard lock(queue().mutex);
  if (queue().active > 0) queue().pending.push_back(std::move(owned));
  // else: destroyed on return, after the lock is released (declared before the guard)
}

}  // namespace epp::runtime

// File: host/runtime/snapshot_reaper.h
//
// Where old config snapshots are destroyed. The last reference to a snapshot usually
// drops on a request thread: the stream that still held it ended. Destroying it there
// would run plugin `destroy` hooks (freeing, say, a large prefix index) and dlclose old
// libraries on the request path. While a reaper is active, snapshots are queued instead
// and destroyed by reap(), which the reload thread calls; without one (eppd validate,
// tests) they are destroyed at once.
//
//   SnapshotReaper reaper;    // serve: before anything holds a snapshot
//   ...
//   SnapshotReaper::reap();   // reload thread, every second and after each reload
#pragma once

#include <cstddef>

namespace epp::runtime {

struct ConfigSnapshot;

class SnapshotReaper {
 public:
  SnapshotReaper();   // activates
  ~SnapshotReaper();  // deactivates, then destroys what is queued
  SnapshotReaper(const SnapshotReaper&) = delete;
  SnapshotReaper& operator=(const SnapshotReaper&) = delete;

  // Destroys the queued snapshots; returns how many.
  static size_t reap();
};

// The deleter of every ConfigSnapshotPtr (buildSnapshot installs it).
void releaseSnapshot(const ConfigSnapshot* snapshot);

}  // namespace epp::runtime

// File: host/runtime/live_config.h
//
// The published config snapshot (and the plugin registry of the scan that built it), and
// the register of every snapshot still alive. Readers copy the shared_ptr under a short
// lock and then use their copy lock-free for as long as they like: a request keeps the
// snapshot it started with to its end. The register holds weak_ptrs only, so it never
// keeps an old snapshot (or, through its instances, an old library) alive; it answers
// "which generations are still held" for /plugins, metrics and the retention warning.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "host/loader/plugin_registry.h"
#include "host/runtime/config_snapshot.h"

namespace epp::runtime {

class LiveConfig {
 public:
  LiveConfig(ConfigSnapshotPtr snapshot, std::shared_ptr<const loader::PluginRegistry> registry);

  ConfigSnapshotPtr current() const;
  std::shared_ptr<const loader::PluginRegistry> registry() const;

  // Makes `snapshot` current; the previous one lives on while anything holds it.
  void publish(ConfigSnapshotPtr snapshot, std::shared_ptr<const loader::PluginRegistry> registry);

  // Every published snapshot still alive, oldest first (the current one last). The copies
  // hold them: drop them soon.
  std::vector<ConfigSnapshotPtr> liveSnapshots() const;
  // Generations of the old (not current) snapshots still alive, oldest first; holds none.
  std::vector<uint64_t> retainedGenerations() const;

 private:
  struct Tracked {
    uint64_t generation;
    std::weak_ptr<const ConfigSnapshot> snapshot;
  };
  void prune() const;

  mutable std::mutex mutex_;
  ConfigSnapshotPtr current_;
  std::shared_ptr<const loader::PluginRegistry> registry_;
  mutable std::vector<Tracked> published_;
};

}  // namespace epp::runtime

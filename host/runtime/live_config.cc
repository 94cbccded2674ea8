#include "host/runtime/live_config.h"

#include <algorithm>
#include <utility>

namespace epp::runtime {

LiveConfig::LiveConfig(ConfigSnapshotPtr snapshot,
                       std::shared_ptr<const loader::PluginRegistry> registry) {
  publish(std::move(snapshot), std::move(registry));
}

ConfigSnapshotPtr LiveConfig::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::shared_ptr<const loader::PluginRegistry> LiveConfig::registry() const {
  std::lock_guard lock(mutex_);
  return registry_;
}

void LiveConfig::publish(ConfigSnapshotPtr snapshot,
                         std::shared_ptr<const loader::PluginRegistry> registry) {
  ConfigSnapshotPtr previous;
  std::shared_ptr<const loader::PluginRegistry> previousRegistry;
  {
    std::lock_guard lock(mutex_);
    published_.push_back({snapshot->generation, snapshot});
    previous = std::exchange(current_, std::move(snapshot));
    previousRegistry = std::exchange(registry_, std::move(registry));
    prune();
  }
  // Released outside the lock: when nothing else held them, this destroys instances and
  // unloads libraries, which must not stall readers.
}

void LiveConfig::prune() const {
  std::erase_if(published_, [](const Tracked& t) { return t.snapshot.expired(); });
}

std::vector<ConfigSnapshotPtr> LiveConfig::liveSnapshots() const {
  std::vector<ConfigSnapshotPtr> out;
  std::lock_guard lock(mutex_);
  prune();
  for (const auto& t : published_) {
    if (auto s = t.snapshot.lock()) out.push_back(std::move(s));
  }
  return out;
}

std::vector<uint64_t> LiveConfig::retainedGenerations() const {
  std::vector<uint64_t> out;
  std::lock_guard lock(mutex_);
  prune();
  for (const auto& t : published_) {
    if (t.generation != current_->generation) out.push_back(t.generation);
  }
  return out;
}

}  // namespace epp::runtime

// File: host/runtime/data_events.cc
#include "host/runtime/data_events.h"

#include <algorithm>
#include <charconv>

#include "host/common/logging.h"

namespace epp::runtime {
namespace {

const epp_data_hooks_v1* hooksOf(const loader::PluginInstance& instance) {
  return instance.type().data_hooks;
}

void announce(const loader::PluginInstance& instance,
              const std::vector<const epp_endpoint_view*>& added,
              const std::vector<uint64_t>& removed) {
  const epp_data_hooks_v1* hooks = hooksOf(instance);
  if (!removed.empty() && hooks->endpoints_removed != nullptr) {
    hooks->endpoints_removed(instance.pluginPtr(), removed.data(), removed.size());
  }
  if (!added.empty() && hooks->endpoints_added != nullptr) {
    epp_endpoint_list list{added.data(), added.size()};
    hooks->endpoints_added(instance.pluginPtr(), &list);
  }
}

}  // namespace

DataEvents::DataEvents(datalayer::EndpointStore& endpoints) : endpoints_(endpoints) {}

DataEvents::~DataEvents() {
  std::map<GroupKey, Group> groups;
  {
    std::lock_guard lock(mutex_);
    groups.swap(groups_);
  }
  // Subscribers stop (joining their threads) without the lock their sinks take.
  groups.clear();
}

void DataEvents::configPublished(const ConfigSnapshot& snapshot) {
  std::map<GroupKey, Group> retired;
  std::vector<GroupKey> started;
  datalayer::EndpointSnapshotPtr pool = endpoints_.current();
  {
    std::lock_guard lock(mutex_);
    std::vector<Instance> hooked;
    std::map<GroupKey, std::vector<Instance>> wanted;
    for (const Instance& instance : snapshot.instances) {
      if (hooksOf(*instance) != nullptr) hooked.push_back(instance);
    }
    for (auto& [instance, sub] : kvSubscribers(snapshot)) {
      wanted[{sub.port, sub.topicFilter}].push_back(instance);
    }
    // Instances this snapshot created learn the pool as it is.
    std::vector<const epp_endpoint_view*> everyone;
    for (size_t i = 0; i < pool->size(); ++i) everyone.push_back(pool->view(i));
    for (const Instance& instance : hooked) {
      bool known = std::any_of(hooked_.begin(), hooked_.end(),
                               [&](const Instance& old) { return old == instance; });
      if (!known) announce(*instance, everyone, {});
    }
    hooked_ = std::move(hooked);
    members_.clear();
    for (size_t i = 0; i < pool->size(); ++i) members_.insert(pool->view(i)->id);
    rememberPublishers(*pool);
    for (auto it = groups_.begin(); it != groups_.end();) {
      if (wanted.count(it->first) == 0) {
        retired.insert(groups_.extract(it++));
      } else {
        ++it;
      }
    }
    for (auto& [key, instances] : wanted) {
      Group& group = groups_[key];
      group.instances = std::move(instances);
      if (!group.subscriber) {
        datalayer::KvEventSubscriberOptions options;
        options.topicFilter = key.second;
        group.subscriber = std::make_unique<datalayer::KvEventSubscriber>(
            options, [this, key](const datalayer::KvEventDelivery& d) { deliver(key, d); });
        started.push_back(key);
      }
      group.subscriber->setTargets(targetsFor(key.first));
    }
  }
  for (const GroupKey& key : started) {
    common::logger()->info(
        "kv events: following every endpoint's publisher on port {} (topics '{}')", key.first,
        key.second);
  }
  retired.clear();  // outside the lock: their threads may be waiting for it
}

void DataEvents::endpointsPublished(const datalayer::EndpointSnapshot& snapshot) {
  std::lock_guard lock(mutex_);
  // Nearly every publish is a metrics update: same members, nothing to do.
  bool same = snapshot.size() == members_.size();
  for (size_t i = 0; same && i < snapshot.size(); ++i) {
    same = members_.count(snapshot.view(i)->id) > 0;
  }
  if (same) return;
  std::vector<const epp_endpoint_view*> added;
  std::set<uint64_t> now;
  for (size_t i = 0; i < snapshot.size(); ++i) {
    uint64_t id = snapshot.view(i)->id;
    now.insert(id);
    if (members_.count(id) == 0) added.push_back(snapshot.view(i));
  }
  std::vector<uint64_t> removed;
  std::set_difference(members_.begin(), members_.end(), now.begin(), now.end(),
                      std::back_inserter(removed));
  members_ = std::move(now);
  rememberPublishers(snapshot);
  for (const Instance& instance : hooked_) announce(*instance, added, removed);
  for (auto& [key, group] : groups_) group.subscriber->setTargets(targetsFor(key.first));
}

void DataEvents::rememberPublishers(const datalayer::EndpointSnapshot& snapshot) {
  publishers_.clear();
  for (size_t i = 0; i < snapshot.size(); ++i) {
    const datalayer::EndpointState& state = snapshot.state(i);
    Publisher p{state.address, state.hostPort(), 0};
    if (auto it = state.labels.find(kKvEventsPortLabel); it != state.labels.end()) {
      int port = 0;
      auto [end, ec] =
          std::from_chars(it->second.data(), it->second.data() + it->second.size(), port);
      if (ec == std::errc() && end == it->second.data() + it->second.size() && port > 0 &&
          port <= 65535) {
        p.port = port;
      } else {
        common::logger()->warn("endpoint {}: label {}='{}' is not a port; using the default",
                               p.name, kKvEventsPortLabel, it->second);
      }
    }
    publishers_[snapshot.view(i)->id] = std::move(p);
  }
}

std::vector<datalayer::KvEventTarget> DataEvents::targetsFor(int port) const {
  std::vector<datalayer::KvEventTarget> targets;
  targets.reserve(publishers_.size());
  for (const auto& [id, p] : publishers_) {
    targets.push_back({id, p.name, p.address, p.port != 0 ? p.port : port});
  }
  return targets;
}

void deliverKvBatch(const std::vector<InstancePtr>& instances,
                    const datalayer::KvEventDelivery& d) {
  std::vector<epp_kv_event> events;
  events.reserve(d.batch.events.size());
  for (const auto& e : d.batch.events) {
    events.push_back(epp_kv_event{
        sizeof(epp_kv_event), e.type, e.blockHashes.data(), e.blockHashes.size(), e.hasParent,
        e.parentHash, e.tokenIds.data(), e.tokenIds.size(), e.blockSize, e.loraId, e.medium});
  }
  std::vector<const epp_kv_event*> pointers;
  pointers.reserve(events.size());
  for (const auto& e : events) pointers.push_back(&e);
  epp_kv_event_batch batch{sizeof(epp_kv_event_batch),
                           d.endpointId,
                           {d.model.data(), d.model.size()},
                           d.sequence,
                           d.batch.timestamp,
                           d.batch.dpRank,
                           pointers.data(),
                           pointers.size()};
  for (const InstancePtr& instance : instances) {
    hooksOf(*instance)->kv_events(instance->pluginPtr(), &batch, d.resync);
  }
}

std::vector<std::pair<InstancePtr, loader::InstanceHost::KvSubscription>> kvSubscribers(
    const ConfigSnapshot& snapshot) {
  std::vector<std::pair<InstancePtr, loader::InstanceHost::KvSubscription>> out;
  for (const InstancePtr& instance : snapshot.instances) {
    const epp_data_hooks_v1* hooks = hooksOf(*instance);
    const auto& sub = instance->host().kvSubscription();
    if (hooks == nullptr || !sub) continue;
    if (hooks->kv_events == nullptr) {
      common::logger()->warn(
          "plugin '{}' asked for KV-cache events but has no kv_events hook; none are sent",
          instance->name());
      continue;
    }
    out.emplace_back(instance, *sub);
  }
  return out;
}

void DataEvents::deliver(const GroupKey& key, const datalayer::KvEventDelivery& d) {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(key);
  if (it == groups_.end()) return;  // retired while this batch was decoded
  deliverKvBatch(it->second.instances, d);
  ++kvBatches_;
}

uint64_t DataEvents::kvBatchesDelivered() const {
  std::lock_guard lock(mutex_);
  return kvBatches_;
}

}  // namespace epp::runtime

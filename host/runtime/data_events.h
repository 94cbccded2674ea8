// File: host/runtime/data_events.h
//
// Feeds the data hooks of plugin instances (epp_data_hooks_v1):
//   - endpoints_added / endpoints_removed when the pool's membership changes, and the whole
//     pool to an instance that a reload created;
//   - kv_events: for every instance that asked for them (kv_events_subscribe), a ZeroMQ
//     subscriber per (port, topic filter) follows every endpoint's KV-event publisher,
//     and each decoded batch goes to those instances in publication order.
// Every hook call is made under one lock, so calls for one instance never overlap; they
// run on the data layer's threads, beside the request path.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "host/datalayer/endpoint_snapshot.h"
#include "host/datalayer/kv_events/kv_event_subscriber.h"
#include "host/runtime/config_snapshot.h"

namespace epp::runtime {

// An endpoint label naming the port its KV events are published on, when it is not the
// port the subscribing plugin configured (several simulators on one address, or one
// data-parallel rank per port).
inline constexpr const char* kKvEventsPortLabel = "eppd.io/kv-events-port";

using InstancePtr = std::shared_ptr<loader::PluginInstance>;

// The instances of `snapshot` that asked for KV-cache events and have the hook, with the
// port and topic filter each asked for.
std::vector<std::pair<InstancePtr, loader::InstanceHost::KvSubscription>> kvSubscribers(
    const ConfigSnapshot& snapshot);

// Calls the kv_events hook of each of `instances` with `delivery` (the ABI views are built
// here and valid during the calls). The caller serialises calls per instance.
void deliverKvBatch(const std::vector<InstancePtr>& instances,
                    const datalayer::KvEventDelivery& delivery);

class DataEvents {
 public:
  explicit DataEvents(datalayer::EndpointStore& endpoints);
  ~DataEvents();
  DataEvents(const DataEvents&) = delete;
  DataEvents& operator=(const DataEvents&) = delete;

  // A config snapshot went live (at start and after each reload).
  void configPublished(const ConfigSnapshot& snapshot);
  // An endpoint snapshot was published (EndpointStore's listener; cheap when membership
  // did not change, which is nearly always).
  void endpointsPublished(const datalayer::EndpointSnapshot& snapshot);

  // Batches delivered to instances so far (for tests and /debug).
  uint64_t kvBatchesDelivered() const;

 private:
  using Instance = std::shared_ptr<loader::PluginInstance>;
  using GroupKey = std::pair<int, std::string>;  // port, topic filter
  struct Group {
    std::vector<Instance> instances;
    std::unique_ptr<datalayer::KvEventSubscriber> subscriber;
  };

  void deliver(const GroupKey& key, const datalayer::KvEventDelivery& delivery);
  std::vector<datalayer::KvEventTarget> targetsFor(int port) const;  // mutex_ held

  datalayer::EndpointStore& endpoints_;
  mutable std::mutex mutex_;
  std::vector<Instance> hooked_;  // instances with data hooks, of the live snapshot
  std::set<uint64_t> members_;    // endpoint ids last announced
  // Endpoints by id with where they publish, for subscriber targets.
  struct Publisher {
    std::string address;
    std::string name;  // ip:port
    int port = 0;      // label kKvEventsPortLabel; 0: the subscription's port
  };
  std::map<uint64_t, Publisher> publishers_;
  void rememberPublishers(const datalayer::EndpointSnapshot& snapshot);  // mutex_ held
  std::map<GroupKey, Group> groups_;
  uint64_t kvBatches_ = 0;
};

}  // namespace epp::runtime

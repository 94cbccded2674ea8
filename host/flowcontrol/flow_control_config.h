// File: host/flowcontrol/flow_control_config.h
//
// The `flowControl` block resolved against one config snapshot's plugin instances, once,
// when the snapshot is built: limits as plain numbers and policies as instance pointers,
// so the queues never read YAML or look a plugin up by name. The snapshot owns the
// instances; whoever holds this struct holds the snapshot (an aliasing shared_ptr).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/common/result.h"
#include "host/config/picker_config.h"
#include "host/loader/plugin_instance.h"

namespace epp::flowcontrol {

inline constexpr int64_t kDefaultBandMaxBytes = 1'000'000'000;  // the reference's 1 GB
inline constexpr char kDefaultFairnessType[] = "global-strict-fairness-policy";
inline constexpr char kDefaultOrderingType[] = "fcfs-ordering-policy";

struct BandConfig {
  int32_t priority = 0;
  int64_t maxBytes = kDefaultBandMaxBytes;  // 0: unlimited
  int64_t maxRequests = 0;                  // 0: unlimited
  double saturationCeiling = 1.0;           // dispatch only while pool saturation is below
  const loader::PluginInstance* fairness = nullptr;
  const loader::PluginInstance* ordering = nullptr;
  // The ordering policy asked for EPP_QUEUE_CAP_FIFO: arrival order, a plain list serves it.
  bool fifo = true;
};

struct FlowControlConfig {
  // featureGates: [flowControl]. Off: requests never queue (legacy admission).
  bool enabled = false;
  uint64_t generation = 0;
  int64_t maxBytes = 0;           // across bands; 0: unlimited
  int64_t maxRequests = 0;        // across bands; 0: unlimited
  int64_t defaultTtlNs = 0;       // 0: no expiry (the client's own deadline)
  BandConfig defaultBand;         // the template of a priority without its own band
  std::vector<BandConfig> bands;  // configured bands, highest priority first
  const loader::PluginInstance* detector = nullptr;  // null: never saturated

  // The band `priority` falls into: its configured band, else the default template.
  BandConfig bandFor(int32_t priority) const;
};

// Instances of one snapshot: by instance name, and the first of a type.
struct InstanceLookup {
  std::function<const loader::PluginInstance*(const std::string& name)> byName;
  std::function<const loader::PluginInstance*(const std::string& type)> firstOfType;
};

// Resolves `spec`. With `enabled`, every band must end up with a fairness and an ordering
// policy (the defaults are the first global-strict-fairness-policy and fcfs-ordering-policy
// instances, which the resolver injects when their libraries are loaded); a missing one
// is an error naming the band. Disabled, missing policies are left null.
common::Result<FlowControlConfig> buildFlowControlConfig(const config::FlowControlSpec& spec,
                                                         bool enabled,
                                                         const loader::PluginInstance* detector,
                                                         const InstanceLookup& instances);

}  // namespace epp::flowcontrol

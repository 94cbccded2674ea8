// File: host/runtime/config_snapshot.h
//
// An immutable, fully built configuration: the resolved config, its plugin instances (in
// config order), and the scheduler wiring resolved to those instances. Built completely
// off to the side, then published; each request holds the snapshot it started with until
// it ends, so a later reload never changes a request in flight. Instances keep their
// libraries mapped (design for "unload may never happen"). A reload builds the next
// snapshot from the previous one: unchanged instances are shared by both (carry_over.h),
// which is safe because instances are thread-safe by contract.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/common/result.h"
#include "host/config/picker_config.h"
#include "host/datalayer/scrape_setup.h"
#include "host/flowcontrol/flow_control_config.h"
#include "host/flowcontrol/objectives.h"
#include "host/flowcontrol/rate_limiter.h"
#include "host/loader/plugin_instance.h"
#include "host/loader/plugin_registry.h"
#include "host/routing/router.h"
#include "host/scheduling/scheduler_config.h"

namespace epp::runtime {

// What a snapshot remembers of each instance, to decide carry-over at the next reload.
struct InstanceInfo {
  std::string parameters;            // canonicalParameters() of its `parameters:`
  uint64_t createdInGeneration = 0;  // older than the snapshot: carried over
};

struct ConfigSnapshot {
  uint64_t generation = 0;
  int64_t loadedAtWallMs = 0;
  config::PickerConfig config;  // resolved (defaults and injected plugins included)
  std::vector<std::shared_ptr<loader::PluginInstance>> instances;
  std::vector<InstanceInfo> instanceInfo;  // parallel to `instances`
  scheduling::SchedulerConfig scheduler;
  // Model names, routing rules and their splitters, LoRA fallbacks (routing:).
  std::shared_ptr<const routing::Router> router;
  // What the metrics scraper polls with while this snapshot is current.
  datalayer::ScrapeSetupPtr scrape;
  flowcontrol::Objectives objectives;  // x-gateway-inference-objective -> priority
  // `rateLimits:`, in config order; an unchanged limit keeps its counts across reloads.
  std::vector<std::shared_ptr<flowcontrol::RateLimiter>> rateLimiters;
  // The plugin behind `saturationDetector` (null when none is configured or injected).
  const loader::PluginInstance* saturationDetector = nullptr;
  // The flowControl feature gate: on, requests queue in flow control; off, legacy admission.
  bool flowControlGate = false;
  // The flowControl block resolved against `instances` (enabled = the gate).
  flowcontrol::FlowControlConfig flowControl;

  const loader::PluginInstance* find(const std::string& name) const;
};

using ConfigSnapshotPtr = std::shared_ptr<const ConfigSnapshot>;

// Instantiates every plugin of a resolved config with its parameters and wires the
// profiles. Any failure (unknown type, a plugin refusing its parameters) fails the whole
// build with every error found, each with its file:line:col. With `previous`, an instance
// whose name, type, parameters and library are unchanged is reused from it rather than
// created; a changed instance of the same name and type gets the state hand-over.
common::Result<ConfigSnapshotPtr> buildSnapshot(config::PickerConfig resolved,
                                                const loader::PluginRegistry& registry,
                                                uint64_t generation,
                                                const ConfigSnapshot* previous = nullptr);

// The plugin kinds the registry offers, for config::resolveConfig.
config::KindLookup kindLookup(const loader::PluginRegistry& registry);

}  // namespace epp::runtime

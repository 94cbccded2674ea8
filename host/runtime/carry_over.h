// File: host/runtime/carry_over.h
//
// Which plugin instances of the live snapshot a reload may keep. An instance is carried
// into the new snapshot — the same object, with its state (a prefix index, learnt
// statistics) — when its name, type, parameters and library content are all unchanged;
// anything else creates a fresh instance. Parameters compare by a canonical text of their
// YAML: map keys sorted, scalars with their tag (so `10` and `"10"` differ), source
// positions and comments ignored.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>

#include "host/loader/plugin_instance.h"
#include "host/loader/plugin_registry.h"

namespace epp::runtime {

struct ConfigSnapshot;

std::string canonicalParameters(const YAML::Node& parameters);

struct Predecessor {
  // The previous snapshot's instance of the same name, if any.
  std::shared_ptr<loader::PluginInstance> instance;
  uint64_t createdInGeneration = 0;
  // Same name, type, parameters and library: reuse `instance` as it is.
  bool reusable = false;
  // Same name and type, but new parameters or library: a fresh instance that may take
  // over the predecessor's state (the ABI's optional state hand-over).
  bool sameType = false;
};

Predecessor findPredecessor(const ConfigSnapshot* previous, const std::string& name,
                            const loader::RegisteredType& type, const std::string& canonicalParams);

}  // namespace epp::runtime

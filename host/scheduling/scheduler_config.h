// File: host/scheduling/scheduler_config.h
//
// The scheduling part of a config snapshot, resolved to plugin instances at config time
// so the request path only follows pointers: the profile handler, each profile's filter
// stage (a list, or a decision tree), its weighted scorers and its picker, and the
// instances offering request hooks, in config order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "epp/abi.h"
#include "host/config/picker_config.h"
#include "host/loader/plugin_instance.h"

namespace epp::scheduling {

using loader::PluginInstance;

struct WeightedScorer {
  const PluginInstance* plugin = nullptr;
  double weight = 1.0;
};

struct TreeNode {
  std::string name;
  const PluginInstance* filter = nullptr;          // a filter node, or
  std::optional<config::PredicateSpec> predicate;  // a predicate node
  int onSuccess = -1;                              // node index; -1 ends the tree
  int onFailure = -1;
};

struct Profile {
  std::string name;
  std::vector<const PluginInstance*> filters;  // used when `tree` is empty
  std::vector<TreeNode> tree;
  int root = -1;
  std::vector<WeightedScorer> scorers;
  const PluginInstance* picker = nullptr;
};

struct SchedulerConfig {
  const PluginInstance* profileHandler = nullptr;
  std::vector<Profile> profiles;
  std::vector<epp_str> profileNames;  // views of profiles[i].name, for the handler
  // Instances offering each hook, in config order (a deterministic order).
  std::vector<const PluginInstance*> prepareRequest;
  std::vector<const PluginInstance*> preRequest;
  std::vector<const PluginInstance*> responseHooks;
};

}  // namespace epp::scheduling

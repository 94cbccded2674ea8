// File: host/config/resolve_state.h
//
// What resolveConfig's steps share: the config being resolved, the kind lookup, the
// errors, and the plugins by name.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "host/config/picker_config.h"
#include "host/config/yaml_reader.h"

namespace epp::config {

struct ResolveState {
  ResolveState(PickerConfig& c, const KindLookup& k) : config(c), kindsOf(k), diag(c.source) {}

  PickerConfig& config;
  const KindLookup& kindsOf;
  Diagnostics diag;
  // The first plugin of each name (an index: injection may grow config.plugins).
  std::map<std::string, size_t, std::less<>> byName;
  // Names of plugins whose type is unknown: their other errors would only repeat that.
  std::set<std::string, std::less<>> unknownTypes;

  const PluginSpec* find(std::string_view name) const;
  bool hasUnknownType(std::string_view name) const;
  // " (did you mean 'x'?)" among the plugin names, or "" (also once errors are too many).
  std::string closestPlugin(std::string_view name) const;
  // Where to report something about a whole section: its key, else the document start.
  Location sectionWhere(std::string_view key) const;
};

// "'name' (type t)", or "'t'" when the name is the type.
std::string describePlugin(const PluginSpec& plugin);
// "a filter", "a scorer and picker", "an ordering policy", … of EPP_KIND_* bits.
std::string kindWords(uint32_t kinds);

// The decisionTrees checks (decision_tree_check.cc).
void checkDecisionTrees(ResolveState& state);

}  // namespace epp::config

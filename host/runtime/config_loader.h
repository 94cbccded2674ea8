// File: host/runtime/config_loader.h
//
// Everything `eppd serve` and `eppd validate` do to turn a config file into a snapshot:
// parse it, scan the plugin directories (the command line's and the config's
// `pluginDirs`, relative to the file), apply `pluginPins`, resolve defaults and
// references against the plugin kinds, instantiate every plugin.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/common/result.h"
#include "host/loader/plugin_registry.h"
#include "host/runtime/config_snapshot.h"

namespace epp::runtime {

struct LoadOptions {
  std::optional<std::string> configPath;          // none: the reference default config
  std::vector<std::filesystem::path> pluginDirs;  // scanned first, in order
  std::filesystem::path pluginCache;
};

struct LoadedConfig {
  std::shared_ptr<loader::PluginRegistry> registry;
  ConfigSnapshotPtr snapshot;
  // Plugin files that failed to load (the rest loaded; fatal only if a type is missing).
  std::vector<std::string> pluginWarnings;
};

common::Result<LoadedConfig> loadConfiguration(const LoadOptions& options, uint64_t generation);

}  // namespace epp::runtime

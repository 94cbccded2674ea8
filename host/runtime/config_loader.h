// File: host/runtime/config_loader.h
//
// Everything `eppd serve` and `eppd validate` do to turn a config file into a snapshot:
// parse it, scan the plugin directories (the command line's and the config's
// `pluginDirs`, relative to the file), apply `pluginPins`, resolve defaults and
// references against the plugin kinds, instantiate every plugin. A reload does the same
// into a fresh registry (a replaced library loads beside the old one), reusing the
// unchanged instances of the live snapshot.
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
  // `--endpoint`s: appended to the config's own endpoints at every load and reload.
  std::vector<config::EndpointSpec> extraEndpoints;
};

// What a reload adds to a first load.
struct LoadInputs {
  // The live snapshot: its unchanged instances are carried over.
  const ConfigSnapshot* previous = nullptr;
  // The text of configPath, already read (the reload hashed exactly these bytes).
  std::optional<std::string> configText;
  // When set, receives LoadedConfig::pluginWarnings also when loading fails (a type that
  // is missing because its library failed to load is explained there).
  std::vector<std::string>* pluginWarnings = nullptr;
};

struct LoadedConfig {
  std::shared_ptr<loader::PluginRegistry> registry;
  ConfigSnapshotPtr snapshot;
  // Plugin files that failed to load (the rest loaded; fatal only if a type is missing).
  std::vector<std::string> pluginWarnings;
  // Every plugin directory scanned: the command line's, then the config's.
  std::vector<std::filesystem::path> pluginDirs;
  // pluginFilesFingerprint(pluginDirs) taken just before the scan: a file replaced while
  // scanning then differs from it, and the reload it triggers is not mistaken for a no-op.
  std::string pluginFiles;
};

common::Result<LoadedConfig> loadConfiguration(const LoadOptions& options, uint64_t generation,
                                               const LoadInputs& inputs = {});

// The plugin directories a config scans: the command line's, then its own `pluginDirs`.
std::vector<std::filesystem::path> pluginDirsFor(const LoadOptions& options,
                                                 const config::PickerConfig& config);

}  // namespace epp::runtime

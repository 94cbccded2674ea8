#include "host/runtime/config_loader.h"

namespace epp::runtime {

common::Result<LoadedConfig> loadConfiguration(const LoadOptions& options, uint64_t generation) {
  common::Result<config::PickerConfig> parsed =
      options.configPath ? config::loadConfigFile(*options.configPath) : config::defaultConfig();
  if (!parsed) return common::Error{parsed.error()};

  std::vector<std::filesystem::path> dirs = options.pluginDirs;
  std::filesystem::path base = options.configPath
                                   ? std::filesystem::path(*options.configPath).parent_path()
                                   : std::filesystem::current_path();
  for (const auto& d : parsed->pluginDirs) {
    std::filesystem::path p(d);
    dirs.push_back(p.is_absolute() ? p : base / p);
  }

  LoadedConfig out;
  out.registry = std::make_shared<loader::PluginRegistry>(
      loader::PluginRegistry::Options{.cache_dir = options.pluginCache});
  out.registry->setPins(parsed->pluginPins);
  out.registry->scan(dirs);
  for (const auto& e : out.registry->errors()) {
    out.pluginWarnings.push_back(e.file.string() + ": " + e.message);
  }

  common::Status resolved = config::resolveConfig(*parsed, kindLookup(*out.registry));
  if (!resolved) return common::Error{resolved.error()};
  auto snapshot = buildSnapshot(std::move(*parsed), *out.registry, generation);
  if (!snapshot) return common::Error{snapshot.error()};
  out.snapshot = *snapshot;
  return out;
}

}  // namespace epp::runtime

#include "host/runtime/config_loader.h"

#include "host/runtime/source_fingerprint.h"
#include "host/runtime/static_endpoints.h"

namespace epp::runtime {
namespace {

// As loadConfigFile does for a file it reads itself: relative paths are relative to the
// config file.
common::Result<config::PickerConfig> parseText(const std::string& text, const std::string& path) {
  auto parsed = config::parseConfig(text, path);
  if (!parsed) return parsed;
  std::error_code ec;
  config::makePathsAbsolute(*parsed, std::filesystem::absolute(path, ec).parent_path());
  return parsed;
}

}  // namespace

std::vector<std::filesystem::path> pluginDirsFor(const LoadOptions& options,
                                                 const config::PickerConfig& config) {
  std::vector<std::filesystem::path> dirs = options.pluginDirs;
  std::filesystem::path base = options.configPath
                                   ? std::filesystem::path(*options.configPath).parent_path()
                                   : std::filesystem::current_path();
  for (const auto& d : config.pluginDirs) {
    std::filesystem::path p(d);
    dirs.push_back(p.is_absolute() ? p : base / p);
  }
  return dirs;
}

common::Result<LoadedConfig> loadConfiguration(const LoadOptions& options, uint64_t generation,
                                               const LoadInputs& inputs) {
  common::Result<config::PickerConfig> parsed =
      !options.configPath ? config::defaultConfig()
      : inputs.configText ? parseText(*inputs.configText, *options.configPath)
                          : config::loadConfigFile(*options.configPath);
  if (!parsed) return common::Error{parsed.error()};
  if (common::Status added = addEndpoints(*parsed, options.extraEndpoints); !added) {
    return common::Error{added.error()};
  }

  LoadedConfig out;
  out.pluginDirs = pluginDirsFor(options, *parsed);
  out.pluginFiles = pluginFilesFingerprint(out.pluginDirs);
  out.registry = std::make_shared<loader::PluginRegistry>(
      loader::PluginRegistry::Options{.cache_dir = options.pluginCache});
  out.registry->setPins(parsed->pluginPins);
  out.registry->setHashPins(parsed->pluginSha256);
  out.registry->scan(out.pluginDirs);
  for (const auto& e : out.registry->errors()) {
    out.pluginWarnings.push_back(e.file.string() + ": " + e.message);
  }
  if (inputs.pluginWarnings != nullptr) *inputs.pluginWarnings = out.pluginWarnings;

  common::Status resolved = config::resolveConfig(*parsed, kindLookup(*out.registry));
  if (!resolved) return common::Error{resolved.error()};
  auto snapshot = buildSnapshot(std::move(*parsed), *out.registry, generation, inputs.previous);
  if (!snapshot) return common::Error{snapshot.error()};
  out.snapshot = *snapshot;
  return out;
}

}  // namespace epp::runtime

#include "host/cli/serve_command.h"

#include <iostream>

#include "host/cli/paths.h"
#include "host/runtime/static_endpoints.h"

namespace epp::cli {

void addLoadOptions(CLI::App& command, ServeCommandOptions& o, bool configPositional) {
  if (!configPositional) {
    command.add_option("--config,--config-file", o.config,
                       "EndpointPickerConfig file (none: the reference default profile)");
  }
  command.add_option("--plugin-dir", o.pluginDirs,
                     "A plugin directory to scan (repeatable), after the built-in one");
  command.add_flag(
      "--no-default-plugin-dir", o.noDefaultPluginDir,
      "Do not scan the built-in plugin directory (" + defaultPluginDir().string() + ")");
  o.pluginCache = defaultPluginCacheDir().string();
  command
      .add_option("--plugin-cache", o.pluginCache,
                  "Where plugin libraries are copied before loading")
      ->capture_default_str();
}

runtime::LoadOptions loadOptions(const ServeCommandOptions& o, const std::string& config) {
  runtime::LoadOptions load;
  if (!config.empty()) load.configPath = config;
  if (!o.noDefaultPluginDir && std::filesystem::is_directory(defaultPluginDir())) {
    load.pluginDirs.push_back(defaultPluginDir());
  }
  for (const auto& d : o.pluginDirs) load.pluginDirs.emplace_back(d);
  load.pluginCache = o.pluginCache;
  return load;
}

void addEndpointOption(CLI::App& command, ServeCommandOptions& o) {
  command
      .add_option("--endpoint", o.endpoints,
                  "A static endpoint [NAME=]ADDRESS:PORT (repeatable), after the config's own "
                  "endpoints")
      ->check(CLI::Validator(
          [](std::string& text) {
            auto parsed = runtime::parseEndpointFlag(text);
            return parsed ? std::string() : parsed.error();
          },
          "[NAME=]ADDRESS:PORT"));
}

int serveCommand(ServeCommandOptions& o) {
  o.serve.load = loadOptions(o, o.config);
  for (const std::string& text : o.endpoints) {
    auto endpoint = runtime::parseEndpointFlag(text);
    if (!endpoint) {
      std::cerr << "eppd: " << endpoint.error() << "\n";
      return 2;
    }
    o.serve.load.extraEndpoints.push_back(*endpoint);
  }
  return runtime::serve(o.serve);
}

int validateCommand(const ServeCommandOptions& o, const std::vector<std::string>& files,
                    std::ostream& out, std::ostream& err) {
  int code = 0;
  for (const auto& file : files) {
    auto loaded = runtime::loadConfiguration(loadOptions(o, file), 0);
    if (loaded) {
      const auto& c = loaded->snapshot->config;
      out << file << ": ok (" << loaded->snapshot->instances.size() << " plugins, "
          << c.profiles.size() << " profiles, " << c.endpoints.size() << " endpoints)\n";
      for (const auto& w : loaded->pluginWarnings) err << file << ": warning: " << w << "\n";
    } else {
      code = 1;
      err << loaded.error() << "\n";
    }
  }
  return code;
}

}  // namespace epp::cli

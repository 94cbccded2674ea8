// File: host/cli/plugins_command.h
//
// `eppd plugins list` and `eppd plugins inspect`: what the plugin directories provide, as
// a table or JSON on stdout; load errors go to stderr and make the exit code 1.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <vector>

namespace epp::cli {

struct PluginsListOptions {
  std::vector<std::filesystem::path> plugin_dirs;
  bool no_default_plugin_dir = false;
  std::filesystem::path plugin_cache;
  bool json = false;
};

struct PluginsInspectOptions {
  std::filesystem::path file;
  std::filesystem::path plugin_cache;
  bool json = false;
};

// Each returns the process exit code.
int pluginsList(const PluginsListOptions& options, std::ostream& out, std::ostream& err);
int pluginsInspect(const PluginsInspectOptions& options, std::ostream& out, std::ostream& err);

}  // namespace epp::cli

#include "host/cli/app.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "epp/abi.h"
#include "host/cli/paths.h"
#include "host/cli/plugins_command.h"
#include "host/common/logging.h"

#ifndef EPP_VERSION
#error "EPP_VERSION must be defined by the build"
#endif

namespace epp::cli {
namespace {

int notYetImplemented(const char* command) {
  std::cerr << fmt::format("eppd {}: not yet implemented (arrives with the request-path issue)\n",
                           command);
  return 2;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"eppd: an Endpoint Picker for LLM inference gateways", "eppd"};
  app.require_subcommand(1);
  // Global options (--log-level) may follow the command too.
  app.fallthrough();
  int exit_code = 0;

  std::string log_level;
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, critical or off (default: info for serve, "
                 "warn for the tool commands, whose output is their answer)");

  CLI::App* plugins = app.add_subcommand("plugins", "Plugin libraries and the types they provide");
  plugins->require_subcommand(1);

  PluginsListOptions list_options;
  list_options.plugin_cache = defaultPluginCacheDir();
  CLI::App* list = plugins->add_subcommand("list", "List the plugin types eppd can load");
  list->add_option("--plugin-dir", list_options.plugin_dirs,
                   "A plugin directory to scan (repeatable); scanned after the built-in one");
  list->add_flag("--no-default-plugin-dir", list_options.no_default_plugin_dir,
                 "Do not scan the built-in plugin directory (" + defaultPluginDir().string() + ")");
  list->add_option("--plugin-cache", list_options.plugin_cache,
                   "Where plugin libraries are copied before loading")
      ->capture_default_str();
  list->add_flag("--json", list_options.json, "Print a JSON array");
  list->callback([&] { exit_code = pluginsList(list_options, std::cout, std::cerr); });

  PluginsInspectOptions inspect_options;
  inspect_options.plugin_cache = defaultPluginCacheDir();
  CLI::App* inspect = plugins->add_subcommand("inspect", "Show everything a plugin file declares");
  inspect->add_option("file", inspect_options.file, "The plugin library (.so)")->required();
  inspect
      ->add_option("--plugin-cache", inspect_options.plugin_cache,
                   "Where plugin libraries are copied before loading")
      ->capture_default_str();
  inspect->add_flag("--json", inspect_options.json, "Print a JSON object");
  inspect->callback([&] { exit_code = pluginsInspect(inspect_options, std::cout, std::cerr); });

  app.add_subcommand("version", "Print eppd's version and plugin ABI")->callback([] {
    std::cout << fmt::format("eppd {} (plugin ABI {}.{})\n", EPP_VERSION, EPP_ABI_MAJOR,
                             EPP_ABI_MINOR);
  });
  app.add_subcommand("serve", "Run the endpoint picker")->callback([&] {
    exit_code = notYetImplemented("serve");
  });
  app.add_subcommand("validate", "Check a config file without serving")->callback([&] {
    exit_code = notYetImplemented("validate");
  });

  // Applied before any subcommand callback runs, so plugin entry points log at this level.
  app.parse_complete_callback([&] {
    if (log_level.empty()) log_level = app.got_subcommand("serve") ? "info" : "warn";
    auto level = common::parseLogLevel(log_level);
    if (!level) throw CLI::ValidationError("--log-level", level.error());
    common::logger()->set_level(*level);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

}  // namespace epp::cli

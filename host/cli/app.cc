#include "host/cli/app.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "epp/abi.h"
#include "host/cli/paths.h"
#include "host/cli/plugins_command.h"
#include "host/cli/replay_command.h"
#include "host/cli/scrape_command.h"
#include "host/cli/serve_command.h"
#include "host/common/logging.h"

#ifndef EPP_VERSION
#error "EPP_VERSION must be defined by the build"
#endif

namespace epp::cli {
int run(int argc, char** argv) {
  // `serve` is the default command: `eppd` and `eppd --config f.yaml` serve.
  std::vector<char*> args(argv, argv + argc);
  static char serveWord[] = "serve";
  bool named = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    named = named || a == "serve" || a == "validate" || a == "replay" || a == "scrape" ||
            a == "plugins" || a == "version" || a == "--help" || a == "-h";
  }
  if (!named) args.insert(args.begin() + 1, serveWord);
  argc = static_cast<int>(args.size());
  argv = args.data();

  CLI::App app{"eppd: an Endpoint Picker for LLM inference gateways", "eppd"};
  app.require_subcommand(0, 1);
  // Global options (--log-level) may follow the command too.
  app.fallthrough();
  int exit_code = 0;

  std::string log_level;
  std::string log_format;
  app.add_option("--log-format", log_format,
                 "json or text (default: json for serve, text for the tool commands)");
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
  ServeCommandOptions serve_options;
  CLI::App* serve = app.add_subcommand("serve", "Run the endpoint picker (the default command)");
  addLoadOptions(*serve, serve_options, false);
  addEndpointOption(*serve, serve_options);
  auto& so = serve_options.serve;
  serve->add_option("--extproc-port", so.extprocPort, "ext_proc gRPC port (default 9002; 0: any)");
  serve->add_option("--health-port", so.healthPort, "gRPC health port (default 9003; 0: any)");
  serve->add_option("--metrics-port", so.metricsPort, "Prometheus /metrics port (default 9090)");
  serve->add_option("--admin-port", so.adminPort, "Admin HTTP port (default 9091; 0: any)");
  serve->add_option("--admin-address", so.adminAddress, "Admin bind address (default 127.0.0.1)");
  serve->add_option("--metrics-address", so.metricsAddress,
                    "Metrics bind address (default 127.0.0.1; 0.0.0.0 for Prometheus in a "
                    "cluster)");
  serve->add_option("--admin-token-file", so.adminTokenFile,
                    "Require 'Authorization: Bearer <token>' on the admin endpoint; the token "
                    "is this file's content, re-read when it changes");
  serve->add_option("--tls-cert-file", so.tlsCertFile,
                    "Serve ext_proc over TLS with this PEM certificate chain (re-read on change)");
  serve->add_option("--tls-key-file", so.tlsKeyFile, "The PEM private key of --tls-cert-file");
  serve->add_option("--tls-client-ca-file", so.tlsClientCaFile,
                    "mTLS: require client certificates signed by these PEM CAs");
  serve->add_option("--ready-file", so.readyFile,
                    "Write the bound ports as JSON here once serving");
  serve->add_option("--drain-seconds", so.drainSeconds, "Drain time on SIGTERM")
      ->capture_default_str();
  serve->add_flag("!--no-watch", so.watch,
                  "Do not reload on config or plugin file changes (SIGHUP and POST /reload "
                  "still reload)");
  serve
      ->add_option("--reload-debounce-ms", so.reloadDebounceMs,
                   "Quiet period after a file change or SIGHUP before reloading")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
  serve->callback([&] { exit_code = serveCommand(serve_options); });

  ServeCommandOptions validate_options;
  std::vector<std::string> validate_files;
  CLI::App* validate =
      app.add_subcommand("validate", "Check config files as serve would, without serving");
  validate->add_option("files", validate_files, "EndpointPickerConfig files")->required();
  addLoadOptions(*validate, validate_options, true);
  validate->callback(
      [&] { exit_code = validateCommand(validate_options, validate_files, std::cout, std::cerr); });

  ScrapeCommandOptions scrape_options;
  addScrapeCommand(app, scrape_options, exit_code);

  ReplaySubcommand replay(app);
  app.get_subcommand("replay")->callback([&] { exit_code = replay.run(std::cout, std::cerr); });

  // Applied before any subcommand callback runs, so plugin entry points log at this level.
  app.parse_complete_callback([&] {
    if (log_level.empty()) log_level = app.got_subcommand("serve") ? "info" : "warn";
    auto level = common::parseLogLevel(log_level);
    if (!level) throw CLI::ValidationError("--log-level", level.error());
    common::logger()->set_level(*level);
    if (log_format.empty()) log_format = app.got_subcommand("serve") ? "json" : "text";
    auto format = common::parseLogFormat(log_format);
    if (!format) throw CLI::ValidationError("--log-format", format.error());
    common::setLogFormat(*format);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

}  // namespace epp::cli

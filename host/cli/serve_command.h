// File: host/cli/serve_command.h
//
// `eppd serve` and `eppd validate`: their command-line options on top of host/runtime.
#pragma once

#include <CLI/CLI.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "host/runtime/serve.h"

namespace epp::cli {

struct ServeCommandOptions {
  std::string config;
  std::vector<std::string> pluginDirs;
  bool noDefaultPluginDir = false;
  std::string pluginCache;
  std::vector<std::string> endpoints;  // --endpoint [NAME=]ADDRESS:PORT, serve only
  runtime::ServeOptions serve;
};

// Adds the options shared by serve and validate (--config, --plugin-dir, …).
void addLoadOptions(CLI::App& command, ServeCommandOptions& options, bool configPositional);
// `--endpoint`, repeatable (serve).
void addEndpointOption(CLI::App& command, ServeCommandOptions& options);
runtime::LoadOptions loadOptions(const ServeCommandOptions& options, const std::string& config);

int serveCommand(ServeCommandOptions& options);
// Checks each file as `serve` would (plugins loaded and instantiated); prints "FILE: ok" or
// its errors. Exit code 0 when every file is valid, 1 otherwise.
int validateCommand(const ServeCommandOptions& options, const std::vector<std::string>& files,
                    std::ostream& out, std::ostream& err);

}  // namespace epp::cli

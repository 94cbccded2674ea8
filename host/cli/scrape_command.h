// File: host/cli/scrape_command.h
//
// `eppd scrape --engine ENGINE (URL|FILE)`: what eppd sees of one model server. Reads a
// /metrics response (fetched over HTTP, or a saved file), parses it with the engine's
// backend-adapter plugin exactly as the scraper does, and prints the endpoint state as
// JSON; for a URL it also asks the adapter's health path.
#pragma once

#include <CLI/CLI.hpp>

#include <ostream>
#include <string>

#include "host/cli/serve_command.h"

namespace epp::cli {

struct ScrapeCommandOptions {
  ServeCommandOptions load;  // --config (adapter parameters), --plugin-dir, …
  std::string engine = "vllm";
  std::string source;  // http(s)://host:port[/path] or a file
  double timeoutSeconds = 5;
  std::string caFile;               // https: trusted CAs (PEM); empty: the system's
  bool insecureSkipVerify = false;  // https: no certificate check
};

void addScrapeCommand(CLI::App& app, ScrapeCommandOptions& options, int& exitCode);
// Exit code 0 when the body parsed, 1 when it did not (the adapter's error on `err`), 2 for
// a fetch or setup failure.
int scrapeCommand(const ScrapeCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace epp::cli

// File: host/cli/replay_command.h
//
// `eppd replay`: plays a workload against simulated servers in virtual time through one
// config or several (--compare) and prints them side by side (tools/replay/).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace epp::cli {

struct ReplayCommand;

// Registers `replay` on `app`; the returned object holds its parsed options and must live
// until the app has parsed. run() prints the report to `out`, progress and errors to `err`.
class ReplaySubcommand {
 public:
  explicit ReplaySubcommand(CLI::App& app);
  ~ReplaySubcommand();
  int run(std::ostream& out, std::ostream& err);

 private:
  std::unique_ptr<ReplayCommand> command_;
};

}  // namespace epp::cli

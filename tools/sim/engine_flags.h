// File: tools/sim/engine_flags.h
//
// The simulator engine's knobs as command-line flags (times in milliseconds), shared by
// eppd-sim and `eppd replay`, so a replay models exactly the servers a simulator fleet
// started with the same flags would be. The seed is left to each command.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/sim/engine/engine_options.h"

namespace epp::sim {

class EngineFlags {
 public:
  explicit EngineFlags(const EngineOptions& defaults = {});
  // Registers --max-num-seqs, --num-gpu-blocks, --decode-base-ms, … on `app`.
  void add(CLI::App& app);
  // The options as parsed (call after the app parsed its arguments).
  EngineOptions options() const;

 private:
  EngineOptions options_;
  double loraLoadMs_;
  double decodeBaseMs_;
  double decodePerSeqMs_;
  double prefillOverheadMs_;
  double prefillPerTokenMs_;
};

}  // namespace epp::sim

#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// The parameters of disagg-profile-handler and its alias pd-profile-handler, in either of the
// reference's two forms:
//   current: stageOrder, profiles {decode, prefill, encode}, deciders {prefill, encode}
//   pd-profile-handler's (v0.3 and later): decodeProfile, prefillProfile, threshold,
//     hashBlockSize, deciderPluginName, primaryPort, and three names it never used
//     (prefixPluginName, prefixPluginType, prefixMatchInfoProducerName)
// A file uses one form or the other; both type names accept both.
struct DisaggConfig {
  static constexpr char kDefaultDecider[] = "prefix-based-pd-decider";

  // How the handler decides, after the decode pick, whether prefill runs elsewhere.
  enum class Decision {
    kNever,      // no decider configured: decode only
    kDecider,    // the named decider instance's verdict (pd_decider_data.h)
    kThreshold,  // v0.3: the uncached part of the prompt, in characters, >= threshold
  };

  std::string decodeProfile = "decode";
  std::string prefillProfile = "prefill";
  // Prefill first, then decode (no decider: prefill always runs when configured).
  bool prefillFirst = false;
  Decision decision = Decision::kNever;
  std::string decider;       // kDecider: the decider's instance name
  std::string deciderParam;  // the parameter that named it, for messages
  // pd-profile-handler without a decider or threshold: the decider named kDefaultDecider
  // when the config has one, else v0.3's default (threshold 0: always).
  bool deciderOptional = false;
  int64_t threshold = 0;
  // Non-zero: data-parallel decode ranks behind a sidecar on this port.
  int64_t primaryPort = 0;

  // `legacyType`: the plugin was written as pd-profile-handler. `note` receives remarks
  // for the log (parameters read but unused).
  static DisaggConfig parse(const cpp::Params& params, bool legacyType,
                            const std::function<void(const std::string&)>& note);
};

}  // namespace epp::plugins

#include "plugins/profile/disagg_profile_handler/disagg_config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <vector>

namespace epp::plugins {
namespace {

constexpr std::array<std::string_view, 3> kCurrentKeys = {"stageOrder", "profiles", "deciders"};
constexpr std::array<std::string_view, 9> kLegacyKeys = {
    "decodeProfile",    "prefillProfile",    "threshold",
    "hashBlockSize",    "deciderPluginName", "primaryPort",
    "prefixPluginName", "prefixPluginType",  "prefixMatchInfoProducerName"};

template <size_t N>
std::string firstPresent(const cpp::Params& params, const std::array<std::string_view, N>& keys) {
  for (std::string_view key : keys) {
    if (params.has(key)) return std::string(key);
  }
  return {};
}

// The reference's spelling rules: case, '-' and '_' do not matter.
bool parseStageOrder(const cpp::Params& params) {
  const std::string raw = params.getString("stageOrder", "");
  std::string folded;
  for (char c : raw) {
    if (c != '-' && c != '_')
      folded += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (folded.empty() || folded == "decodefirst" || folded == "decode") return false;
  if (folded == "prefillfirst" || folded == "prefill") return true;
  throw cpp::Error(params.location("stageOrder") + ": parameter \"stageOrder\" must be " +
                   "\"decode-first\" or \"prefill-first\", not \"" + raw + "\"");
}

std::string nonEmpty(const cpp::Params& params, std::string_view key, std::string_view fallback) {
  std::string value = params.getString(key, fallback);
  return value.empty() ? std::string(fallback) : value;
}

void parseCurrent(const cpp::Params& params, DisaggConfig& c) {
  c.prefillFirst = parseStageOrder(params);
  if (const cpp::Params* profiles = params.getMap("profiles")) {
    c.decodeProfile = nonEmpty(*profiles, "decode", c.decodeProfile);
    c.prefillProfile = nonEmpty(*profiles, "prefill", c.prefillProfile);
    (void)profiles->getString("encode", "");  // no encode stage: the name has no use
  }
  if (const cpp::Params* deciders = params.getMap("deciders")) {
    if (!deciders->getString("encode", "").empty()) {
      throw cpp::Error(deciders->location("encode") +
                       ": parameter \"deciders.encode\": eppd has no encode stage (E/P/D "
                       "disaggregation is not supported)");
    }
    c.decider = deciders->getString("prefill", "");
    if (!c.decider.empty()) {
      if (c.prefillFirst) {
        throw cpp::Error(deciders->location("prefill") +
                         ": parameter \"deciders.prefill\" cannot be used with stageOrder "
                         "prefill-first (prefill then always runs)");
      }
      c.decision = DisaggConfig::Decision::kDecider;
      c.deciderParam = "deciders.prefill";
    }
  }
}

void parseLegacy(const cpp::Params& params, bool legacyType, DisaggConfig& c,
                 const std::function<void(const std::string&)>& note) {
  c.decodeProfile = nonEmpty(params, "decodeProfile", c.decodeProfile);
  c.prefillProfile = nonEmpty(params, "prefillProfile", c.prefillProfile);
  c.primaryPort = params.getInt("primaryPort", 0, 0, 65535);
  const bool hasThreshold = params.has("threshold");
  c.threshold = params.getInt("threshold", 0, /*min=*/0);
  if (params.has("hashBlockSize")) {
    (void)params.getInt("hashBlockSize", 64, /*min=*/1);
    note(
        "hashBlockSize is not used: the prefix match comes from approx-prefix-cache-producer, "
        "in its own blocks");
  }
  for (std::string_view unused :
       {"prefixPluginName", "prefixPluginType", "prefixMatchInfoProducerName"}) {
    if (!params.getString(unused, "").empty()) {
      note(std::string(unused) +
           " is not used: the prefix match always comes from "
           "approx-prefix-cache-producer");
    }
  }
  c.decider = params.getString("deciderPluginName", "");
  if (!c.decider.empty() && hasThreshold) {
    throw cpp::Error(params.location("threshold") +
                     ": give either \"threshold\" or \"deciderPluginName\", not both");
  }
  if (!c.decider.empty()) {
    c.decision = DisaggConfig::Decision::kDecider;
    c.deciderParam = "deciderPluginName";
  } else if (hasThreshold) {
    c.decision = DisaggConfig::Decision::kThreshold;
  } else if (legacyType) {
    c.decision = DisaggConfig::Decision::kDecider;
    c.decider = DisaggConfig::kDefaultDecider;
    c.deciderOptional = true;
  }
}

}  // namespace

DisaggConfig DisaggConfig::parse(const cpp::Params& params, bool legacyType,
                                 const std::function<void(const std::string&)>& note) {
  const std::string current = firstPresent(params, kCurrentKeys);
  const std::string legacy = firstPresent(params, kLegacyKeys);
  if (!current.empty() && !legacy.empty()) {
    throw cpp::Error(params.location(legacy) + ": parameter \"" + legacy +
                     "\" (pd-profile-handler's form) cannot be mixed with \"" + current +
                     "\" (disagg-profile-handler's form): use one form");
  }
  DisaggConfig c;
  if (!legacy.empty()) {
    parseLegacy(params, legacyType, c, note);
  } else {
    parseCurrent(params, c);
    // Written without parameters, pd-profile-handler keeps its old default.
    if (current.empty() && legacyType) parseLegacy(params, legacyType, c, note);
  }
  if (c.decodeProfile == c.prefillProfile) {
    throw cpp::Error(params.location() + ": the decode and prefill profiles must differ (both \"" +
                     c.decodeProfile + "\")");
  }
  return c;
}

}  // namespace epp::plugins

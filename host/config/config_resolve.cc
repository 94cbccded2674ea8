// resolveConfig: plugin types and names, the reference's defaults and auto-injected
// plugins, profiles, the profile handler and the pluginRefs of the other sections.
// Decision trees are checked in decision_tree_check.cc.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "epp/abi.h"
#include "host/config/picker_config.h"
#include "host/config/resolve_state.h"
#include "host/config/suggest.h"

namespace epp::config {
namespace {

using common::Error;
using common::Status;

constexpr uint32_t kSchedulingKinds = EPP_KIND_FILTER | EPP_KIND_SCORER | EPP_KIND_PICKER;

// Types the reference (GIE and llm-d) defines; a config naming one that no loaded
// library provides gets "not provided" rather than "unknown".
constexpr std::string_view kReferenceTypes[] = {"prefix-cache-scorer",
                                                "precise-prefix-cache-scorer",
                                                "approx-prefix-cache-producer",
                                                "queue-scorer",
                                                "running-requests-size-scorer",
                                                "kv-cache-utilization-scorer",
                                                "lora-affinity-scorer",
                                                "token-load-scorer",
                                                "latency-scorer",
                                                "prefix-cache-affinity-filter",
                                                "slo-headroom-tier-filter",
                                                "max-score-picker",
                                                "random-picker",
                                                "weighted-random-picker",
                                                "single-profile-handler",
                                                "header-based-testing-filter",
                                                "inflight-load-producer",
                                                "predicted-latency-producer",
                                                "latency-slo-admitter",
                                                "request-attribute-reporter",
                                                "metrics-data-source",
                                                "core-metrics-extractor",
                                                "k8s-notification-source",
                                                "endpoint-notification-source",
                                                "openai-parser",
                                                "vllmgrpc-parser",
                                                "passthrough-parser",
                                                "utilization-detector",
                                                "concurrency-detector",
                                                "global-strict-fairness-policy",
                                                "round-robin-fairness-policy",
                                                "fcfs-ordering-policy",
                                                "edf-ordering-policy",
                                                "slo-deadline-ordering-policy",
                                                "static-usage-limit-policy",
                                                "decode-filter",
                                                "prefill-filter",
                                                "encode-filter",
                                                "label-selector-filter",
                                                "precise-prefix-cache-scorer",
                                                "load-aware-scorer",
                                                "active-request-scorer",
                                                "session-affinity-scorer",
                                                "no-hit-lru-scorer",
                                                "context-length-aware",
                                                "data-parallel-profile-handler",
                                                "disagg-profile-handler",
                                                "pd-profile-handler",
                                                "prefix-based-pd-decider",
                                                "always-disagg-pd-decider",
                                                "always-disagg-multimodal-decider",
                                                "token-producer",
                                                "probabilistic-admitter",
                                                "low-queue-filter",
                                                "least-queue-filter",
                                                "least-kv-cache-filter",
                                                "lora-affinity-filter"};

constexpr std::string_view kPrefixScorer = "prefix-cache-scorer";
constexpr std::string_view kPrefixProducer = "approx-prefix-cache-producer";
constexpr std::string_view kPreciseScorer = "precise-prefix-cache-scorer";
constexpr std::string_view kDefaultPicker = "max-score-picker";
constexpr std::string_view kSingleHandler = "single-profile-handler";

class Resolver {
 public:
  Resolver(PickerConfig& config, const KindLookup& kindsOf,
           const std::vector<std::string>& typeNames)
      : state_(config, kindsOf), config_(config), typeNames_(typeNames) {}

  Status run() {
    indexPlugins();
    injectPrefixProducer();
    injectOptionalDefaults();
    if (config_.profiles.empty()) buildDefaultProfile();
    checkProfiles();
    checkProfileHandler();
    checkRefs();
    checkDecisionTrees(state_);
    if (!state_.diag.empty()) return Error{state_.diag.joined()};
    return {};
  }

 private:
  void indexPlugins() {
    for (size_t i = 0; i < config_.plugins.size(); ++i) {
      PluginSpec& plugin = config_.plugins[i];
      auto [it, inserted] = state_.byName.emplace(plugin.name, i);
      if (!inserted) {
        const PluginSpec& first = config_.plugins[it->second];
        state_.diag.error(plugin.where, fmt::format("duplicate plugin name '{}' (first at line {})",
                                                    plugin.name, first.where.line));
      }
      std::optional<uint32_t> kinds = state_.kindsOf(plugin.type);
      if (!kinds) {
        state_.unknownTypes.insert(plugin.name);
        state_.diag.error(plugin.typeWhere, unknownTypeMessage(plugin.type));
        continue;
      }
      plugin.kinds = *kinds;
    }
  }

  std::string unknownTypeMessage(const std::string& type) const {
    bool reference = std::find(std::begin(kReferenceTypes), std::end(kReferenceTypes), type) !=
                     std::end(kReferenceTypes);
    if (reference) {
      return fmt::format("plugin type '{}' is not provided by any loaded plugin library", type);
    }
    if (!state_.diag.wantsDetail()) return fmt::format("unknown plugin type '{}'", type);
    std::vector<std::string_view> candidates(typeNames_.begin(), typeNames_.end());
    for (std::string_view known : kReferenceTypes) {
      if (state_.kindsOf(std::string(known))) candidates.push_back(known);
    }
    return fmt::format("unknown plugin type '{}'{}", type, didYouMean(type, candidates));
  }

  const PluginSpec* firstOfType(std::string_view type) const {
    for (const PluginSpec& plugin : config_.plugins) {
      if (plugin.type == type) return &plugin;
    }
    return nullptr;
  }

  std::string uniqueName(std::string_view base) const {
    std::string name(base);
    for (int n = 2; state_.byName.count(name) != 0; ++n) name = fmt::format("{}-{}", base, n);
    return name;
  }

  // Adds a plugin the user did not write; returns its name.
  std::string inject(std::string_view type, uint32_t kinds, YAML::Node parameters,
                     const Location& where) {
    PluginSpec plugin;
    plugin.name = uniqueName(type);
    plugin.type = std::string(type);
    plugin.parameters = std::move(parameters);
    plugin.where = where;
    plugin.typeWhere = where;
    plugin.injected = true;
    plugin.kinds = kinds;
    state_.byName.emplace(plugin.name, config_.plugins.size());
    config_.plugins.push_back(std::move(plugin));
    return config_.plugins.back().name;
  }

  // Older configs tune the prefix cache on the scorer; current ones on the producer, which
  // the reference creates when missing. The scorer's parameters move to that producer.
  // precise-prefix-cache-scorer falls back to the approximate index for requests without
  // token ids unless told `fallback: none`.
  bool preciseNeedsProducer() const {
    for (const PluginSpec& plugin : config_.plugins) {
      if (plugin.type != kPreciseScorer) continue;
      const YAML::Node& p = plugin.parameters;
      YAML::Node fallback = p.IsMap() ? p["fallback"] : YAML::Node();
      bool none = fallback && fallback.IsScalar() && fallback.Scalar() == "none";
      if (!none) return true;
    }
    return false;
  }

  void injectPrefixProducer() {
    if (firstOfType(kPrefixProducer) != nullptr) return;
    const PluginSpec* scorer = firstOfType(kPrefixScorer);
    if (scorer == nullptr && preciseNeedsProducer()) {
      if (auto kinds = state_.kindsOf(std::string(kPrefixProducer))) {
        inject(kPrefixProducer, *kinds, YAML::Node(), firstOfType(kPreciseScorer)->where);
      }
      return;
    }
    if (scorer == nullptr) return;
    auto kinds = state_.kindsOf(std::string(kPrefixProducer));
    if (!kinds) {
      state_.diag.error(scorer->typeWhere,
                        fmt::format("{} needs an {}, which no loaded plugin library provides",
                                    kPrefixScorer, kPrefixProducer));
      return;
    }
    YAML::Node parameters;
    Location where = scorer->where;
    for (const PluginSpec& plugin : config_.plugins) {
      if (plugin.type == kPrefixScorer && plugin.parameters.IsDefined() &&
          !plugin.parameters.IsNull()) {
        parameters = plugin.parameters;
        where = plugin.where;
        break;
      }
    }
    inject(kPrefixProducer, *kinds, parameters, where);
  }

  // The reference also injects a parser, a saturation detector and flow-control policies;
  // eppd does so once a loaded library provides them.
  void injectOptionalDefaults() {
    Location where = state_.sectionWhere("plugins");
    auto existingOrInjected = [&](std::string_view type) -> std::optional<std::string> {
      auto kinds = state_.kindsOf(std::string(type));
      if (!kinds) return std::nullopt;
      if (const PluginSpec* plugin = firstOfType(type)) return plugin->name;
      return inject(type, *kinds, YAML::Node(), where);
    };
    if (!config_.parserRef) config_.parserRef = existingOrInjected("openai-parser");
    if (!config_.saturationDetectorRef) {
      config_.saturationDetectorRef = existingOrInjected("utilization-detector");
    }
    for (std::string_view type :
         {"fcfs-ordering-policy", "global-strict-fairness-policy", "static-usage-limit-policy"}) {
      (void)existingOrInjected(type);
    }
  }

  // No profiles: one `default` profile with every filter, scorer and picker the user wrote.
  void buildDefaultProfile() {
    ProfileSpec profile;
    profile.name = "default";
    profile.where = state_.sectionWhere("plugins");
    profile.injected = true;
    for (const PluginSpec& plugin : config_.plugins) {
      if (plugin.injected || (plugin.kinds & kSchedulingKinds) == 0) continue;
      ProfilePluginRef entry;
      entry.pluginRef = plugin.name;
      entry.where = plugin.where;
      profile.plugins.push_back(std::move(entry));
    }
    config_.profiles.push_back(std::move(profile));
  }

  void checkProfiles() {
    std::map<std::string, Location> seen;
    for (ProfileSpec& profile : config_.profiles) {
      auto [it, inserted] = seen.emplace(profile.name, profile.where);
      if (!inserted) {
        state_.diag.error(profile.where,
                          fmt::format("duplicate profile name '{}' (first at line {})",
                                      profile.name, it->second.line));
      }
      checkProfile(profile);
    }
  }

  void checkProfile(ProfileSpec& profile) {
    std::set<std::string> listed;
    std::vector<const ProfilePluginRef*> pickers;
    for (const ProfilePluginRef& entry : profile.plugins) {
      std::string context = fmt::format("profile '{}'", profile.name);
      if (!listed.insert(entry.pluginRef).second) {
        state_.diag.error(entry.where,
                          fmt::format("{}: '{}' is listed twice", context, entry.pluginRef));
        continue;
      }
      const PluginSpec* plugin = state_.find(entry.pluginRef);
      if (plugin == nullptr) {
        state_.diag.error(entry.where,
                          fmt::format("{}: no plugin named '{}'{}", context, entry.pluginRef,
                                      state_.closestPlugin(entry.pluginRef)));
        continue;
      }
      if (state_.hasUnknownType(plugin->name)) continue;
      if ((plugin->kinds & kSchedulingKinds) == 0) {
        state_.diag.error(entry.where,
                          fmt::format("{}: {} is {}, not a filter, scorer or picker", context,
                                      describePlugin(*plugin), kindWords(plugin->kinds)));
        continue;
      }
      if (entry.weight && (plugin->kinds & EPP_KIND_SCORER) == 0) {
        state_.diag.error(entry.weightWhere,
                          fmt::format("{}: weight given for {}, which is {}, not a scorer", context,
                                      describePlugin(*plugin), kindWords(plugin->kinds)));
      }
      if ((plugin->kinds & EPP_KIND_PICKER) != 0) pickers.push_back(&entry);
    }
    if (pickers.size() > 1) {
      state_.diag.error(pickers[1]->where,
                        fmt::format("profile '{}': more than one picker ('{}' and '{}')",
                                    profile.name, pickers[0]->pluginRef, pickers[1]->pluginRef));
    }
    if (pickers.empty()) addDefaultPicker(profile);
  }

  // One max-score-picker, shared by every profile without a picker.
  void addDefaultPicker(ProfileSpec& profile) {
    if (defaultPicker_.empty()) {
      const PluginSpec* named = state_.find(kDefaultPicker);
      if (named != nullptr && named->type == kDefaultPicker) {
        defaultPicker_ = named->name;
      } else if (auto kinds = state_.kindsOf(std::string(kDefaultPicker))) {
        defaultPicker_ = inject(kDefaultPicker, *kinds, YAML::Node(), profile.where);
      } else {
        state_.diag.error(profile.where,
                          fmt::format("profile '{}' has no picker, and {} is not provided by "
                                      "any loaded plugin library",
                                      profile.name, kDefaultPicker));
        return;
      }
    }
    ProfilePluginRef entry;
    entry.pluginRef = defaultPicker_;
    entry.where = profile.where;
    entry.injected = true;
    profile.plugins.push_back(std::move(entry));
  }

  void checkProfileHandler() {
    std::vector<const PluginSpec*> handlers;
    for (const PluginSpec& plugin : config_.plugins) {
      if ((plugin.kinds & EPP_KIND_PROFILE_HANDLER) != 0) handlers.push_back(&plugin);
    }
    size_t profiles = config_.profiles.size();
    if (handlers.size() > 1) {
      state_.diag.error(handlers[1]->where,
                        fmt::format("more than one profile handler: {} and {}; a config has "
                                    "exactly one",
                                    describePlugin(*handlers[0]), describePlugin(*handlers[1])));
      return;
    }
    Location where = state_.sectionWhere("schedulingProfiles");
    if (handlers.empty() && profiles == 1) {
      if (auto kinds = state_.kindsOf(std::string(kSingleHandler))) {
        inject(kSingleHandler, *kinds, YAML::Node(), config_.profiles.front().where);
      } else {
        state_.diag.error(config_.profiles.front().where,
                          fmt::format("missing profile handler: {} is not provided by any "
                                      "loaded plugin library",
                                      kSingleHandler));
      }
      return;
    }
    if (handlers.empty()) {
      std::vector<std::string_view> names;
      for (const ProfileSpec& profile : config_.profiles) names.push_back(profile.name);
      state_.diag.error(where,
                        fmt::format("missing profile handler: {} scheduling profiles ({}) need a "
                                    "profile-handler plugin such as pd-profile-handler",
                                    profiles, fmt::join(names, ", ")));
      return;
    }
    if (handlers.front()->type == kSingleHandler && profiles > 1) {
      state_.diag.error(
          handlers.front()->where,
          fmt::format("{} runs exactly one profile, but {} are defined", kSingleHandler, profiles));
    }
  }

  void checkRefs() {
    for (const PluginRefUse& ref : config_.refs) {
      const PluginSpec* plugin = state_.find(ref.pluginRef);
      if (plugin == nullptr) {
        state_.diag.error(ref.where,
                          fmt::format("{}: no plugin named '{}'{}", ref.field, ref.pluginRef,
                                      state_.closestPlugin(ref.pluginRef)));
        continue;
      }
      if (ref.requiredKinds == 0 || state_.hasUnknownType(plugin->name)) continue;
      if ((plugin->kinds & ref.requiredKinds) == 0) {
        state_.diag.error(ref.where,
                          fmt::format("{}: {} is {}, not {}", ref.field, describePlugin(*plugin),
                                      kindWords(plugin->kinds), kindWords(ref.requiredKinds)));
      }
    }
  }

  ResolveState state_;
  PickerConfig& config_;
  const std::vector<std::string>& typeNames_;
  std::string defaultPicker_;
};

}  // namespace

const PluginSpec* ResolveState::find(std::string_view name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &config.plugins[it->second];
}

bool ResolveState::hasUnknownType(std::string_view name) const {
  return unknownTypes.find(name) != unknownTypes.end();
}

std::string ResolveState::closestPlugin(std::string_view name) const {
  if (!diag.wantsDetail()) return {};
  std::vector<std::string_view> names;
  for (const auto& [known, index] : byName) names.push_back(known);
  return didYouMean(name, names);
}

Location ResolveState::sectionWhere(std::string_view key) const {
  auto it = config.keyLocations.find(std::string(key));
  if (it != config.keyLocations.end()) return it->second;
  return Location{config.source, 1, 1};
}

std::string describePlugin(const PluginSpec& plugin) {
  if (plugin.name == plugin.type) return fmt::format("'{}'", plugin.name);
  return fmt::format("'{}' (type {})", plugin.name, plugin.type);
}

std::string kindWords(uint32_t kinds) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {EPP_KIND_FILTER, "filter"},
      {EPP_KIND_SCORER, "scorer"},
      {EPP_KIND_PICKER, "picker"},
      {EPP_KIND_PROFILE_HANDLER, "profile handler"},
      {EPP_KIND_ORDERING_POLICY, "ordering policy"},
      {EPP_KIND_FAIRNESS_POLICY, "fairness policy"},
      {EPP_KIND_SATURATION_DETECTOR, "saturation detector"},
      {EPP_KIND_TRAFFIC_SPLITTER, "traffic splitter"},
      {EPP_KIND_BACKEND_ADAPTER, "backend adapter"},
      {EPP_KIND_REQUEST_HOOKS, "request-hooks plugin"},
      {EPP_KIND_DATA_HOOKS, "data-hooks plugin"},
  };
  std::vector<std::string_view> words;
  for (const auto& [bit, name] : kNames) {
    if ((kinds & bit) != 0) words.push_back(name);
  }
  if (words.empty()) return "a plugin of no known kind";
  std::string out = std::string_view("aeiou").find(words.front().front()) != std::string_view::npos
                        ? "an "
                        : "a ";
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " and " : ", ";
    out += words[i];
  }
  return out;
}

common::Status resolveConfig(PickerConfig& config, const KindLookup& kindsOf,
                             const std::vector<std::string>& typeNames) {
  return Resolver(config, kindsOf, typeNames).run();
}

}  // namespace epp::config

// The sections the reference EndpointPickerConfig defines: featureGates, plugins,
// schedulingProfiles, saturationDetector, parser, dataLayer, flowControl.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "epp/abi.h"
#include "host/config/sections.h"
#include "host/config/suggest.h"

namespace epp::config::sections {
namespace {

// Reads `{pluginRef: name}` and records the reference.
std::optional<std::string> readRefMap(Diagnostics& diag, const Field& field, uint32_t requiredKinds,
                                      PickerConfig& config) {
  MapReader map(diag, field, {"pluginRef"});
  auto ref = map.required("pluginRef");
  if (!ref) return std::nullopt;
  auto name = readString(diag, *ref);
  if (name) config.refs.push_back(PluginRefUse{*name, ref->path, requiredKinds, ref->where});
  return name;
}

// Reads a string pluginRef field (`fairnessPolicyRef: name`) and records it.
std::optional<std::string> readRefField(Diagnostics& diag, const MapReader& map,
                                        std::string_view key, uint32_t requiredKinds,
                                        PickerConfig& config) {
  auto field = map.get(key);
  if (!field) return std::nullopt;
  auto name = readString(diag, *field);
  if (name) config.refs.push_back(PluginRefUse{*name, field->path, requiredKinds, field->where});
  return name;
}

// A priority band's limits and policies; `withPriority` for priorityBands entries. Returns
// nullopt when the entry is not usable (errors reported).
std::optional<PriorityBandSpec> readBand(Diagnostics& diag, const Field& field, bool withPriority,
                                         PickerConfig& config) {
  std::vector<std::string_view> keys = {"maxBytes", "maxRequests", "saturationCeiling",
                                        "fairnessPolicyRef", "orderingPolicyRef"};
  if (withPriority) keys.insert(keys.begin(), "priority");
  MapReader band(diag, field, keys);
  PriorityBandSpec spec;
  spec.where = field.where;
  bool usable = band.isMap();
  if (withPriority) {
    std::optional<int64_t> priority;
    if (auto f = band.required("priority")) {
      priority = readInt(diag, *f, std::numeric_limits<int32_t>::min(),
                         std::numeric_limits<int32_t>::max());
    }
    if (priority) {
      spec.priority = static_cast<int32_t>(*priority);
    } else {
      usable = false;
    }
  }
  if (auto f = band.get("maxBytes")) spec.maxBytes = readBytes(diag, *f);
  if (auto f = band.get("maxRequests")) {
    spec.maxRequests = readInt(diag, *f, 0, std::numeric_limits<int64_t>::max());
  }
  if (auto f = band.get("saturationCeiling")) {
    if (auto ceiling = readDouble(diag, *f)) {
      if (*ceiling > 0 && *ceiling <= 1) {
        spec.saturationCeiling = *ceiling;
      } else {
        diag.error(f->where, fmt::format("{}: {} is not in (0, 1]: the band would never "
                                         "dispatch, or dispatch past saturation",
                                         f->name(), *ceiling));
      }
    }
  }
  spec.fairnessPolicyRef =
      readRefField(diag, band, "fairnessPolicyRef", EPP_KIND_FAIRNESS_POLICY, config);
  spec.orderingPolicyRef =
      readRefField(diag, band, "orderingPolicyRef", EPP_KIND_ORDERING_POLICY, config);
  if (!usable) return std::nullopt;
  return spec;
}

}  // namespace

void parseFeatureGates(Diagnostics& diag, const Field& field, PickerConfig& config) {
  std::vector<std::string_view> known(std::begin(kFeatureGates), std::end(kFeatureGates));
  for (const Field& item : readList(diag, field, /*nullIsEmpty=*/true)) {
    auto gate = readString(diag, item);
    if (!gate) continue;
    if (std::find(known.begin(), known.end(), *gate) == known.end()) {
      std::string hint = didYouMean(*gate, known);
      if (hint.empty()) {
        hint = fmt::format("; known gates: {}", fmt::join(known, ", "));
      }
      diag.error(item.where,
                 fmt::format("{}: unknown feature gate '{}'{}", item.name(), *gate, hint));
      continue;
    }
    config.featureGates.push_back(*gate);
  }
}

void parsePlugins(Diagnostics& diag, const Field& field, PickerConfig& config) {
  for (const Field& item : readList(diag, field, /*nullIsEmpty=*/true)) {
    MapReader map(diag, item, {"name", "type", "parameters"});
    if (!map.isMap()) continue;
    PluginSpec spec;
    if (auto type = map.required("type")) {
      if (auto text = readString(diag, *type)) {
        spec.type = *text;
        spec.typeWhere = type->where;
      }
    }
    if (spec.type.empty()) continue;
    spec.name = spec.type;
    spec.where = spec.typeWhere;
    if (auto name = map.get("name")) {
      if (auto text = readString(diag, *name)) {
        spec.name = *text;
        spec.where = name->where;
      }
    }
    if (auto params = map.get("parameters"); params && !params->isNull()) {
      if (params->node.IsMap()) {
        spec.parameters = params->node;
      } else {
        diag.error(params->where, fmt::format("{}: expected a map, got {}", params->name(),
                                              nodeKindName(params->node)));
      }
    }
    config.plugins.push_back(std::move(spec));
  }
}

void parseProfiles(Diagnostics& diag, const Field& field, PickerConfig& config) {
  for (const Field& item : readList(diag, field, /*nullIsEmpty=*/true)) {
    MapReader map(diag, item, {"name", "plugins"});
    if (!map.isMap()) continue;
    ProfileSpec profile;
    profile.where = item.where;
    if (auto name = map.required("name")) {
      if (auto text = readString(diag, *name)) {
        profile.name = *text;
        profile.where = name->where;
      }
    }
    if (auto plugins = map.get("plugins")) {
      for (const Field& entry : readList(diag, *plugins, /*nullIsEmpty=*/true)) {
        MapReader ref(diag, entry, {"pluginRef", "weight"});
        if (!ref.isMap()) continue;
        ProfilePluginRef use;
        use.where = entry.where;
        if (auto name = ref.required("pluginRef")) {
          auto text = readString(diag, *name);
          if (!text) continue;
          use.pluginRef = *text;
          use.where = name->where;
        } else {
          continue;
        }
        if (auto weight = ref.get("weight")) {
          use.weightWhere = weight->where;
          if (auto value = readDouble(diag, *weight)) {
            if (*value < 0) {
              diag.error(weight->where, fmt::format("{}: must not be negative, got {}",
                                                    weight->name(), weight->node.Scalar()));
            } else {
              use.weight = *value;
            }
          }
        }
        profile.plugins.push_back(std::move(use));
      }
    }
    if (!profile.name.empty()) config.profiles.push_back(std::move(profile));
  }
}

void parseSaturationDetector(Diagnostics& diag, const Field& field, PickerConfig& config) {
  config.saturationDetectorRef = readRefMap(diag, field, EPP_KIND_SATURATION_DETECTOR, config);
}

void parseParser(Diagnostics& diag, const Field& field, PickerConfig& config) {
  // No ABI kind marks parsers yet, so any plugin may be named here.
  config.parserRef = readRefMap(diag, field, 0, config);
}

void parseDataLayer(Diagnostics& diag, const Field& field, PickerConfig& config) {
  MapReader dataLayer(diag, field, {"sources"}, /*nullIsEmpty=*/true);
  if (auto sources = dataLayer.get("sources")) {
    for (const Field& source : readList(diag, *sources, /*nullIsEmpty=*/true)) {
      MapReader map(diag, source, {"pluginRef", "extractors"});
      if (!map.isMap()) continue;
      if (auto ref = map.required("pluginRef")) {
        if (auto name = readString(diag, *ref)) {
          config.refs.push_back(PluginRefUse{*name, ref->path, 0, ref->where});
        }
      }
      if (auto extractors = map.get("extractors")) {
        for (const Field& extractor : readList(diag, *extractors, /*nullIsEmpty=*/true)) {
          (void)readRefMap(diag, extractor, 0, config);
        }
      }
    }
  }
  config.dataLayer = field.node;
}

void parseFlowControl(Diagnostics& diag, const Field& field, PickerConfig& config) {
  MapReader flow(diag, field,
                 {"maxBytes", "maxRequests", "defaultRequestTTL", "defaultPriorityBand",
                  "priorityBands", "usageLimitPolicyPluginRef"},
                 /*nullIsEmpty=*/true);
  FlowControlSpec& spec = config.flowControl;
  spec.present = true;
  spec.where = field.where;
  if (auto f = flow.get("maxBytes")) spec.maxBytes = readBytes(diag, *f).value_or(0);
  if (auto f = flow.get("maxRequests")) {
    spec.maxRequests = readInt(diag, *f, 0, std::numeric_limits<int64_t>::max()).value_or(0);
  }
  if (auto f = flow.get("defaultRequestTTL")) {
    spec.defaultRequestTtlNs = readDurationNs(diag, *f).value_or(0);
  }
  if (auto f = flow.get("defaultPriorityBand")) {
    if (auto band = readBand(diag, *f, /*withPriority=*/false, config)) spec.defaultBand = *band;
  }
  if (auto bands = flow.get("priorityBands")) {
    for (const Field& band : readList(diag, *bands, /*nullIsEmpty=*/true)) {
      auto read = readBand(diag, band, /*withPriority=*/true, config);
      if (!read) continue;
      auto first = std::find_if(spec.bands.begin(), spec.bands.end(),
                                [&](const auto& b) { return b.priority == read->priority; });
      if (first != spec.bands.end()) {
        diag.error(band.where, fmt::format("{}: duplicate priority {} (first at line {})",
                                           band.name(), read->priority, first->where.line));
        continue;
      }
      spec.bands.push_back(std::move(*read));
    }
  }
  spec.usageLimitPolicyRef = readRefField(diag, flow, "usageLimitPolicyPluginRef", 0, config);
}

}  // namespace epp::config::sections

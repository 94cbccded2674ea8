// File: host/config/sections.h
//
// Parsers of the config's top-level sections, one per key, used by parseConfig. Each
// reads its field strictly, reports every mistake to `diag` and fills `config` with what
// it could read.
#pragma once

#include <string_view>

#include "host/config/picker_config.h"
#include "host/config/yaml_reader.h"

namespace epp::config::sections {

// apiVersion values accepted, the reference's first.
inline constexpr std::string_view kApiVersions[] = {"inference.networking.x-k8s.io/v1alpha1",
                                                    "llm-d.ai/v1alpha1"};
inline constexpr std::string_view kKind = "EndpointPickerConfig";
// The reference's feature gates (eppd has none of its own yet).
inline constexpr std::string_view kFeatureGates[] = {"flowControl", "dataLayer",
                                                     "enableLegacyMetrics"};

// Reference sections (reference_sections.cc).
void parseFeatureGates(Diagnostics& diag, const Field& field, PickerConfig& config);
void parsePlugins(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseProfiles(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseSaturationDetector(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseParser(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseDataLayer(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseFlowControl(Diagnostics& diag, const Field& field, PickerConfig& config);

// eppd's sections (eppd_sections.cc).
void parsePluginDirs(Diagnostics& diag, const Field& field, PickerConfig& config);
void parsePluginPins(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseEndpoints(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseEndpointSources(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseObjectives(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseRouting(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseServer(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseScraping(Diagnostics& diag, const Field& field, PickerConfig& config);
void parseTokenization(Diagnostics& diag, const Field& field, PickerConfig& config);

// rateLimits (rate_limit_section.cc).
void parseRateLimits(Diagnostics& diag, const Field& field, PickerConfig& config);

// decisionTrees (decision_tree_parse.cc).
void parseDecisionTrees(Diagnostics& diag, const Field& field, PickerConfig& config);

}  // namespace epp::config::sections

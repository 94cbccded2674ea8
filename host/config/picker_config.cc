// parseConfig, loadConfigFile and defaultConfig: the document's top level; each section
// has its own parser (sections.h).
#include "host/config/picker_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string_view>

#include "host/common/sha256.h"
#include "host/config/sections.h"
#include "host/config/yaml_reader.h"

namespace epp::config {
namespace {

using common::Error;
using common::Result;

using SectionParser = void (*)(Diagnostics&, const Field&, PickerConfig&);

struct Section {
  std::string_view key;
  SectionParser parse;
};

// Reference keys first, then eppd's own, in the order docs/config.md gives them.
constexpr Section kSections[] = {
    {"featureGates", &sections::parseFeatureGates},
    {"plugins", &sections::parsePlugins},
    {"schedulingProfiles", &sections::parseProfiles},
    {"saturationDetector", &sections::parseSaturationDetector},
    {"dataLayer", &sections::parseDataLayer},
    {"flowControl", &sections::parseFlowControl},
    {"parser", &sections::parseParser},
    {"pluginDirs", &sections::parsePluginDirs},
    {"pluginPins", &sections::parsePluginPins},
    {"endpoints", &sections::parseEndpoints},
    {"endpointSources", &sections::parseEndpointSources},
    {"decisionTrees", &sections::parseDecisionTrees},
    {"objectives", &sections::parseObjectives},
    {"routing", &sections::parseRouting},
    {"rateLimits", &sections::parseRateLimits},
    {"server", &sections::parseServer},
    {"scraping", &sections::parseScraping},
    {"tokenization", &sections::parseTokenization},
};

// The configuration without a file: the reference default profile. The picker is written
// out; resolveConfig adds the single-profile-handler and the prefix producer as for any
// other config.
constexpr std::string_view kDefaultConfigText =
    R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: prefix-cache-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
    weight: 2
  - pluginRef: kv-cache-utilization-scorer
    weight: 2
  - pluginRef: prefix-cache-scorer
    weight: 3
  - pluginRef: max-score-picker
)";

void readHeader(Diagnostics& diag, const MapReader& top, PickerConfig& config) {
  if (auto f = top.required("apiVersion")) {
    if (auto text = readString(diag, *f)) {
      config.apiVersion = *text;
      const auto& accepted = sections::kApiVersions;
      if (std::find(std::begin(accepted), std::end(accepted), *text) == std::end(accepted)) {
        diag.error(f->where, fmt::format("apiVersion: unsupported '{}'; accepted: {}", *text,
                                         fmt::join(accepted, ", ")));
      }
    }
  }
  if (auto f = top.required("kind")) {
    if (auto text = readString(diag, *f)) {
      config.kind = *text;
      if (*text != sections::kKind) {
        diag.error(f->where, fmt::format("kind: expected '{}', got '{}'", sections::kKind, *text));
      }
    }
  }
}

}  // namespace

Result<PickerConfig> parseConfig(const std::string& text, const std::string& source) {
  auto document = loadDocument(text, source);
  if (!document) return Error{document.error()};

  PickerConfig config;
  config.source = source;
  config.text = text;
  config.sha256 = common::sha256Hex(std::as_bytes(std::span(text.data(), text.size())));

  Diagnostics diag(source);
  std::vector<std::string_view> known = {"apiVersion", "kind"};
  for (const Section& section : kSections) known.push_back(section.key);
  MapReader top(diag, Field::root(*document, source), known);
  if (!top.isMap()) return Error{diag.joined()};
  for (const MapEntry& entry : top.entries()) config.keyLocations[entry.key] = entry.keyWhere;

  readHeader(diag, top, config);
  for (const Section& section : kSections) {
    if (auto field = top.get(section.key)) section.parse(diag, *field, config);
  }
  if (!diag.empty()) return Error{diag.joined()};
  return config;
}

Result<PickerConfig> loadConfigFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec) return Error{fmt::format("{}: cannot read config file: {}", path, ec.message())};
  if (fs::is_directory(status)) {
    return Error{fmt::format("{}: cannot read config file: it is a directory", path)};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{fmt::format("{}: cannot read config file: {}", path, std::strerror(errno))};
  }
  // Read in chunks rather than trusting the size: the path may be a pipe.
  std::string text;
  char chunk[64 * 1024];
  while (text.size() <= kMaxConfigBytes && in.read(chunk, sizeof chunk).gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) {
    return Error{fmt::format("{}: cannot read config file: {}", path, std::strerror(errno))};
  }
  if (text.size() > kMaxConfigBytes) {
    return Error{fmt::format("{}: config file is larger than {} MiB", path, kMaxConfigBytes >> 20)};
  }
  auto config = parseConfig(text, path);
  if (!config) return config;
  fs::path base = fs::absolute(fs::path(path), ec).parent_path();
  for (std::string& dir : config->pluginDirs) {
    if (fs::path(dir).is_relative()) dir = (base / dir).lexically_normal().string();
  }
  if (std::string& ca = config->scraping.caFile; !ca.empty() && fs::path(ca).is_relative()) {
    ca = (base / ca).lexically_normal().string();
  }
  for (EndpointSourceSpec& source : config->endpointSources) {
    if (source.kind == EndpointSourceSpec::Kind::kFile && fs::path(source.path).is_relative()) {
      source.path = (base / source.path).lexically_normal().string();
    }
    for (std::string* file : {&source.kubernetes.tokenFile, &source.kubernetes.caFile}) {
      if (source.kind == EndpointSourceSpec::Kind::kKubernetes && !file->empty() &&
          fs::path(*file).is_relative()) {
        *file = (base / *file).lexically_normal().string();
      }
    }
  }
  return config;
}

PickerConfig defaultConfig() {
  auto config = parseConfig(std::string(kDefaultConfigText), "<default>");
  // The text is a constant checked by the tests; failing here is a build mistake.
  if (!config) std::abort();
  return std::move(*config);
}

}  // namespace epp::config

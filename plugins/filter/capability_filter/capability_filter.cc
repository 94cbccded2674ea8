#include "plugins/filter/capability_filter/capability_filter.h"

#include <algorithm>

#include "plugins/common/text_values.h"

namespace epp::plugins {
namespace {

using Requirement = CapabilityFilter::Requirement;

struct RequirementNames {
  std::string_view metricLabel;
  std::string_view labelParam;
  std::string_view defaultLabel;
  std::string_view headerParam;
  std::string_view defaultHeader;
};

constexpr RequirementNames kNames[CapabilityFilter::kRequirements] = {
    {"gpu_type", "gpuTypeLabel", "eppd.io/gpu-type", "gpuTypeHeader", "x-gateway-require-gpu"},
    {"gpu_memory", "gpuMemoryLabel", "eppd.io/gpu-memory-gb", "gpuMemoryHeader",
     "x-gateway-min-gpu-memory-gb"},
    {"model_version", "modelVersionLabel", "eppd.io/model-version", "modelVersionHeader",
     "x-gateway-model-version"},
    {"lora", "loraLabel", "eppd.io/lora-adapters", "loraHeader", "x-gateway-require-lora"},
};

std::string nonEmpty(const cpp::Params& params, std::string_view key, std::string value) {
  if (value.empty()) {
    throw cpp::Error(params.location(key) + ": parameter \"" + std::string(key) +
                     "\" must not be empty");
  }
  return value;
}

// A list parameter that may also be written as one comma-separated string.
std::vector<std::string> nameList(const cpp::Params& params, std::string_view key) {
  if (!params.has(key)) return {};
  std::optional<epp_param_host_ptr> node = params.getNode(key);
  std::vector<std::string> raw;
  if (node && cpp::host().param_kind(*node) == EPP_PARAM_SCALAR) {
    epp_str s{};
    cpp::host().param_string(*node, &s);
    raw.emplace_back(cpp::view(s));
  } else {
    raw = params.getStringList(key);
  }
  std::vector<std::string> out;
  for (const std::string& item : raw) {
    for (std::string_view name : text::splitList(item)) out.emplace_back(name);
  }
  if (node && out.empty()) {
    throw cpp::Error(params.location(key) + ": parameter \"" + std::string(key) +
                     "\" must name at least one value");
  }
  return out;
}

bool containsIgnoreCase(const std::vector<std::string_view>& names, std::string_view value) {
  return std::any_of(names.begin(), names.end(),
                     [&](std::string_view n) { return text::equalsIgnoreCase(n, value); });
}

}  // namespace

CapabilityFilter::CapabilityFilter(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& params = ctx.params();
  for (size_t r = 0; r < kRequirements; ++r) {
    labels_[r] = nonEmpty(params, kNames[r].labelParam,
                          params.getString(kNames[r].labelParam, kNames[r].defaultLabel));
    headers_[r] =
        text::lower(nonEmpty(params, kNames[r].headerParam,
                             params.getString(kNames[r].headerParam, kNames[r].defaultHeader)));
  }
  gpuTypes_ = nameList(params, "gpuTypes");
  if (params.has("minGpuMemoryGb")) minGpuMemoryGb_ = params.getDouble("minGpuMemoryGb", 0, 0);
  if (params.has("modelVersion")) {
    const std::string range = params.getString("modelVersion", "");
    std::string error;
    modelVersion_ = VersionRange::parse(range, &error);
    if (!modelVersion_) throw cpp::Error(params.location("modelVersion") + ": " + error);
  }
  loras_ = nameList(params, "loras");

  cpp::Metric headers =
      registerMetric(EPP_METRIC_COUNTER, kMalformedHeaderMetric,
                     "Requests whose requirement header was malformed and ignored, by requirement.",
                     {"requirement"});
  cpp::Metric labels = registerMetric(
      EPP_METRIC_COUNTER, kMalformedLabelMetric,
      "Endpoint capability labels that could not be read (the endpoint did not qualify), "
      "by requirement.",
      {"requirement"});
  for (size_t r = 0; r < kRequirements; ++r) {
    malformedHeaders_[r].setCounter(headers.series({kNames[r].metricLabel}));
    malformedLabels_[r].setCounter(labels.series({kNames[r].metricLabel}));
  }
  noMatch_ = registerMetric(EPP_METRIC_COUNTER, kNoMatchMetric,
                            "Requests with requirements that no candidate endpoint met.")
                 .series();
}

bool CapabilityFilter::Needs::any() const {
  return !gpuTypes[0].empty() || !gpuTypes[1].empty() || minGpuMemoryGb || ranges[0] || ranges[1] ||
         !loras.empty();
}

std::optional<std::string_view> CapabilityFilter::header(const cpp::Request& request,
                                                         Requirement r) const {
  std::optional<std::string_view> value = request.header(headers_[r]);
  if (!value || text::trim(*value).empty()) return std::nullopt;  // blank: no requirement
  return value;
}

void CapabilityFilter::malformedHeader(const cpp::Request& request, Requirement r,
                                       std::string_view value, std::string_view why) const {
  malformedHeaders_[r].report(*this,
                              "ignoring malformed " + headers_[r] + " \"" + std::string(value) +
                                  "\" (" + std::string(why) + "): the request is placed as if " +
                                  "it had not sent it",
                              &request);
}

void CapabilityFilter::malformedLabel(const cpp::Request& request, Requirement r,
                                      const cpp::Endpoint& endpoint, std::string_view value) const {
  malformedLabels_[r].report(*this,
                             "endpoint " + std::string(endpoint.hostPort()) + ": label " +
                                 labels_[r] + "=\"" + std::string(value) +
                                 "\" cannot be read; the endpoint does not qualify",
                             &request);
}

CapabilityFilter::Needs CapabilityFilter::needsOf(const cpp::Request& request) const {
  Needs needs;
  needs.gpuTypes[0].assign(gpuTypes_.begin(), gpuTypes_.end());
  if (auto value = header(request, kGpuType)) {
    needs.gpuTypes[1] = text::splitList(*value);
    if (needs.gpuTypes[1].empty()) malformedHeader(request, kGpuType, *value, "no GPU type in it");
  }

  needs.minGpuMemoryGb = minGpuMemoryGb_;
  if (auto value = header(request, kGpuMemory)) {
    if (std::optional<double> gb = text::parseNonNegative(*value)) {
      needs.minGpuMemoryGb = std::max(*gb, minGpuMemoryGb_.value_or(0.0));
    } else {
      malformedHeader(request, kGpuMemory, *value, "not a non-negative number of GB");
    }
  }

  if (modelVersion_) needs.ranges[0] = &*modelVersion_;
  if (auto value = header(request, kModelVersion)) {
    std::string error;
    needs.headerRange = VersionRange::parse(*value, &error);
    if (needs.headerRange) {
      needs.ranges[1] = &*needs.headerRange;
    } else {
      malformedHeader(request, kModelVersion, *value, error);
    }
  }

  needs.loras.assign(loras_.begin(), loras_.end());
  if (auto value = header(request, kLora)) {
    std::vector<std::string_view> names = text::splitList(*value);
    if (names.empty()) malformedHeader(request, kLora, *value, "no adapter name in it");
    needs.loras.insert(needs.loras.end(), names.begin(), names.end());
  }
  return needs;
}

bool CapabilityFilter::meets(const Needs& needs, const cpp::Endpoint& endpoint,
                             const cpp::Request& request) const {
  if (!needs.gpuTypes[0].empty() || !needs.gpuTypes[1].empty()) {
    std::optional<std::string_view> gpu = endpoint.label(labels_[kGpuType]);
    if (!gpu) return false;
    const std::string_view type = text::trim(*gpu);
    for (const auto& accepted : needs.gpuTypes) {
      if (!accepted.empty() && !containsIgnoreCase(accepted, type)) return false;
    }
  }
  if (needs.minGpuMemoryGb) {
    std::optional<std::string_view> label = endpoint.label(labels_[kGpuMemory]);
    if (!label) return false;
    std::optional<double> gb = text::parseNonNegative(*label);
    if (!gb) {
      malformedLabel(request, kGpuMemory, endpoint, *label);
      return false;
    }
    if (*gb < *needs.minGpuMemoryGb) return false;
  }
  if (needs.ranges[0] || needs.ranges[1]) {
    std::optional<std::string_view> label = endpoint.label(labels_[kModelVersion]);
    if (!label) return false;
    std::optional<ModelVersion> version = ModelVersion::parse(*label);
    if (!version) {
      malformedLabel(request, kModelVersion, endpoint, *label);
      return false;
    }
    for (const VersionRange* range : needs.ranges) {
      if (range && !range->contains(*version)) return false;
    }
  }
  if (!needs.loras.empty()) {
    const cpp::StrList active = endpoint.activeLoras();
    std::vector<std::string_view> listed;
    if (auto label = endpoint.label(labels_[kLora])) listed = text::splitList(*label);
    for (std::string_view lora : needs.loras) {
      if (!active.contains(lora) && std::find(listed.begin(), listed.end(), lora) == listed.end()) {
        return false;
      }
    }
  }
  return true;
}

void CapabilityFilter::filter(const cpp::Request& request, const cpp::EndpointList& candidates,
                              std::span<uint8_t> keep) {
  const Needs needs = needsOf(request);
  if (!needs.any()) return;
  bool anyKept = false;
  for (size_t i = 0; i < candidates.size(); ++i) {
    keep[i] = meets(needs, candidates[i], request) ? 1 : 0;
    anyKept = anyKept || keep[i];
  }
  if (!anyKept && !candidates.empty()) {
    noMatch_.add(1);
    if (cpp::logEnabled(cpp::LogLevel::kDebug)) {
      log(cpp::LogLevel::kDebug,
          "no candidate of " + std::to_string(candidates.size()) + " meets the requirements",
          &request);
    }
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppCapabilityFilterEntry, "capability-filter", "1.0.0",
                    "Keeps endpoints whose labels meet the request's hardware and model needs",
                    EPP_TYPE(epp::plugins::CapabilityFilter, "capability-filter",
                             "GPU type, minimum GPU memory, model version range, LoRA adapters "
                             "from parameters and request headers"))

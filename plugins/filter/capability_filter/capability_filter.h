#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "epp/cpp/plugin.h"
#include "plugins/common/bad_input_report.h"
#include "plugins/filter/capability_filter/version_range.h"

namespace epp::plugins {

// capability-filter: keeps the candidates whose labels meet the request's hardware and model
// requirements: GPU type, minimum GPU memory, model version range, LoRA adapters. A
// requirement comes from the plugin's parameters (set per profile or decision-tree branch,
// i.e. by the routing rule that matched) and/or a request header; both apply when both are
// set. A malformed header is ignored for its requirement (fails open), counted and logged.
// Nothing meeting the requirements: an empty result.
class CapabilityFilter : public cpp::Plugin, public cpp::Filter {
 public:
  enum Requirement : size_t { kGpuType, kGpuMemory, kModelVersion, kLora, kRequirements };
  static constexpr std::string_view kMalformedHeaderMetric =
      "eppd_capability_filter_malformed_header_total";
  static constexpr std::string_view kMalformedLabelMetric =
      "eppd_capability_filter_malformed_label_total";
  static constexpr std::string_view kNoMatchMetric = "eppd_capability_filter_no_match_total";

  explicit CapabilityFilter(const cpp::CreateContext& ctx);
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;

 private:
  // What one request requires: the parameters' requirements and its headers' together.
  struct Needs {
    std::vector<std::string_view> gpuTypes[2];  // [0] parameters, [1] header; empty: any
    std::optional<double> minGpuMemoryGb;
    const VersionRange* ranges[2] = {nullptr, nullptr};
    std::optional<VersionRange> headerRange;
    std::vector<std::string_view> loras;
    bool any() const;
  };

  Needs needsOf(const cpp::Request& request) const;
  bool meets(const Needs& needs, const cpp::Endpoint& endpoint, const cpp::Request& request) const;
  std::optional<std::string_view> header(const cpp::Request& request, Requirement r) const;
  void malformedHeader(const cpp::Request& request, Requirement r, std::string_view value,
                       std::string_view why) const;
  void malformedLabel(const cpp::Request& request, Requirement r, const cpp::Endpoint& endpoint,
                      std::string_view value) const;

  std::array<std::string, kRequirements> labels_;
  std::array<std::string, kRequirements> headers_;
  std::vector<std::string> gpuTypes_;
  std::optional<double> minGpuMemoryGb_;
  std::optional<VersionRange> modelVersion_;
  std::vector<std::string> loras_;
  std::array<BadInputReport, kRequirements> malformedHeaders_;
  std::array<BadInputReport, kRequirements> malformedLabels_;
  cpp::Series noMatch_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppCapabilityFilterEntry(const epp_entry_args* args);

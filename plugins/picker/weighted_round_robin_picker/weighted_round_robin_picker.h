#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "epp/cpp/plugin.h"
#include "plugins/common/bad_input_report.h"

namespace epp::plugins {

// weighted-round-robin-picker: takes the candidates in turn, each as often as its capacity
// (a number in an endpoint label, default eppd.io/capacity; `defaultWeight` without one), by
// smooth weighted round robin: over any window the picks follow the weights to within one,
// and a heavy endpoint's turns are spread out rather than back to back. Scores are ignored,
// as round-robin-picker ignores them. Fallbacks are the candidates next in line.
class WeightedRoundRobinPicker : public cpp::Plugin, public cpp::Picker, public cpp::EndpointHooks {
 public:
  static constexpr std::string_view kDefaultLabel = "eppd.io/capacity";
  static constexpr std::string_view kMalformedMetric = "eppd_wrr_capacity_label_malformed_total";

  explicit WeightedRoundRobinPicker(const cpp::CreateContext& ctx);
  size_t pick(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<const double> scores, std::span<uint32_t> picked) override;
  void endpointsRemoved(std::span<const uint64_t> endpointIds) override;

 private:
  double weightOf(const cpp::Endpoint& endpoint, const cpp::Request& request) const;

  int64_t maxNumOfEndpoints_;
  std::string label_;
  double defaultWeight_;
  BadInputReport malformed_;
  std::mutex mutex_;
  // Each endpoint's "current weight" of the smooth algorithm, by endpoint id.
  std::unordered_map<uint64_t, double> current_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppWeightedRoundRobinPickerEntry(const epp_entry_args* args);

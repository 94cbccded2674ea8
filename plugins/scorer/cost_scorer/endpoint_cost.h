#pragma once

#include <string>
#include <string_view>

#include "epp/cpp/plugin.h"
#include "plugins/common/bad_input_report.h"

namespace epp::plugins {

// How cost-scorer and cost-budget-filter read what an endpoint costs: the number in one of
// its labels (`costLabel`, default eppd.io/cost), or `defaultCost` (default 0) when the
// label is absent or not a non-negative number.
class EndpointCost {
 public:
  static constexpr std::string_view kDefaultLabel = "eppd.io/cost";
  static constexpr std::string_view kMalformedMetric = "eppd_cost_label_malformed_total";

  // Reads `costLabel` and `defaultCost`; throws cpp::Error naming a bad one.
  explicit EndpointCost(const cpp::Params& params);

  // Counts and logs unreadable labels through `owner`'s metric (call from its constructor).
  void attach(cpp::Series malformedCounter) { malformed_.setCounter(malformedCounter); }

  // The cost of `endpoint`; a malformed label is reported through `owner` and costs the
  // default.
  double of(const cpp::Plugin& owner, const cpp::Endpoint& endpoint,
            const cpp::Request* request) const;

  const std::string& label() const { return label_; }
  double defaultCost() const { return default_; }

 private:
  std::string label_;
  double default_;
  BadInputReport malformed_;
};

}  // namespace epp::plugins

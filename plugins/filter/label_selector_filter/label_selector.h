#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// One requirement of a Kubernetes label selector (matchLabels entries are `In` with one
// value), plus the old by-label filter's "in these values, or no such label".
struct LabelRequirement {
  enum class Op { kIn, kNotIn, kExists, kDoesNotExist, kInOrAbsent };
  std::string key;
  Op op = Op::kIn;
  std::vector<std::string> values;

  // `value` is the endpoint's value of `key`, nullopt when it has no such label.
  bool matches(std::optional<std::string_view> value) const;
};

// Requirements that must all hold (an empty selector matches every endpoint).
class LabelSelector {
 public:
  // From `matchLabels` and `matchExpressions` (label-selector-filter, by-label-selector).
  static LabelSelector fromSelectorParams(const cpp::Params& params);
  // From `label`, `validValues` and `allowsNoLabel` (by-label).
  static LabelSelector fromByLabelParams(const cpp::Params& params);

  bool matches(const cpp::Endpoint& endpoint) const;
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

 private:
  std::vector<LabelRequirement> requirements_;
};

}  // namespace epp::plugins

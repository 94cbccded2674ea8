#pragma once

#include "epp/cpp/plugin.h"
#include "plugins/filter/label_selector_filter/label_selector.h"

namespace epp::plugins {

// label-selector-filter: keeps the endpoints whose labels match a Kubernetes label selector
// (matchLabels, matchExpressions). Also registered under its old names: by-label-selector
// (same parameters) and by-label (label, validValues, allowsNoLabel).
class LabelSelectorFilter : public cpp::Plugin, public cpp::Filter {
 public:
  static constexpr std::string_view kType = "label-selector-filter";
  static constexpr std::string_view kOldSelectorType = "by-label-selector";
  static constexpr std::string_view kOldByLabelType = "by-label";

  explicit LabelSelectorFilter(const cpp::CreateContext& ctx);
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;

 private:
  LabelSelector selector_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLabelSelectorFilterEntry(const epp_entry_args* args);

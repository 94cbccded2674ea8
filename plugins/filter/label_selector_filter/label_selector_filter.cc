#include "plugins/filter/label_selector_filter/label_selector_filter.h"

#include <string>

namespace epp::plugins {
namespace {

LabelSelector parse(const cpp::CreateContext& ctx) {
  if (ctx.typeName() == LabelSelectorFilter::kOldByLabelType) {
    return LabelSelector::fromByLabelParams(ctx.params());
  }
  return LabelSelector::fromSelectorParams(ctx.params());
}

}  // namespace

LabelSelectorFilter::LabelSelectorFilter(const cpp::CreateContext& ctx)
    : Plugin(ctx), selector_(parse(ctx)) {
  if (ctx.typeName() != kType) {
    log(cpp::LogLevel::kWarn,
        "plugin type " + std::string(ctx.typeName()) + " is deprecated; use " + std::string(kType) +
            (ctx.typeName() == kOldByLabelType
                 ? " with matchExpressions [{key: <label>, operator: In, values: [...]}]"
                 : " (same parameters)"));
  }
}

void LabelSelectorFilter::filter(const cpp::Request&, const cpp::EndpointList& candidates,
                                 std::span<uint8_t> keep) {
  for (size_t i = 0; i < candidates.size(); ++i) keep[i] = selector_.matches(candidates[i]);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLabelSelectorFilterEntry, "label-selector-filter", "1.0.0",
                    "Keeps endpoints whose labels match a Kubernetes label selector",
                    EPP_TYPE(epp::plugins::LabelSelectorFilter, "label-selector-filter",
                             "matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist)"),
                    EPP_TYPE(epp::plugins::LabelSelectorFilter, "by-label-selector",
                             "deprecated name of label-selector-filter"),
                    EPP_TYPE(epp::plugins::LabelSelectorFilter, "by-label",
                             "deprecated: label in validValues (or absent with allowsNoLabel)"))

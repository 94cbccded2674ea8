#include "label_match_filter.h"

namespace example {

LabelMatchFilter::LabelMatchFilter(const epp::cpp::CreateContext& ctx)
    : Plugin(ctx),
      header_(ctx.params().getString("header", "x-gpu-type")),
      label_(ctx.params().getString("label", "gpu")),
      failOpen_(ctx.params().getBool("failOpen", false)),
      matches_(registerMetric(EPP_METRIC_COUNTER, "example_label_match_picks_total",
                              "Requests routed by label value", {"value"})) {
  if (header_.empty()) throw epp::cpp::Error(ctx.params().location("header") + ": empty header");
}

void LabelMatchFilter::filter(const epp::cpp::Request& request,
                              const epp::cpp::EndpointList& candidates, std::span<uint8_t> keep) {
  auto wanted = request.header(header_);
  if (!wanted) return;  // no requirement: keep all
  bool any = false;
  for (size_t i = 0; i < candidates.size(); ++i) {
    keep[i] = candidates[i].label(label_) == *wanted;
    any = any || keep[i];
  }
  if (!any && failOpen_) std::fill(keep.begin(), keep.end(), 1);
}

void LabelMatchFilter::preRequest(const epp::cpp::Request& request,
                                  const epp::cpp::SchedulingResult&) {
  if (auto wanted = request.header(header_)) matches_.series({*wanted}).add(1);
}

}  // namespace example

#ifdef EPP_EXAMPLE_NO_EXPORT
EPP_PLUGIN_ENTRY_FN(entry, "example-cpp", "1.0.0", "The SDK's C++ example",
                    EPP_TYPE(example::LabelMatchFilter, "example-label-match-filter",
                             "Keeps endpoints whose label matches a request header"))
const epp_plugin_descriptor* example_label_match_entry(const epp_entry_args* args) {
  return entry(args);
}
#else
EPP_PLUGIN("example-cpp", "1.0.0", "The SDK's C++ example",
           EPP_TYPE(example::LabelMatchFilter, "example-label-match-filter",
                    "Keeps endpoints whose label matches a request header"))
#endif

// example-label-match-filter: keeps the endpoints whose label matches a request header.
//
// A request with `x-gpu-type: H100` keeps only endpoints labelled `gpu=H100`. Requests
// without the header keep every endpoint. If no endpoint matches, the filter keeps none
// (a decision tree's onFailure branch can take over) unless `failOpen` is set.
//
// Parameters:
//   header    request header to read            default "x-gpu-type"
//   label     endpoint label to compare         default "gpu"
//   failOpen  keep all when none would match    default false
#pragma once

#include <epp/cpp/plugin.h>

#include <string>

namespace example {

class LabelMatchFilter : public epp::cpp::Plugin,
                         public epp::cpp::Filter,
                         public epp::cpp::PreRequestHook {
 public:
  explicit LabelMatchFilter(const epp::cpp::CreateContext& ctx);
  void filter(const epp::cpp::Request& request, const epp::cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;
  // Counts which label value won, to show per-plugin metrics.
  void preRequest(const epp::cpp::Request& request,
                  const epp::cpp::SchedulingResult& result) override;

 private:
  std::string header_;
  std::string label_;
  bool failOpen_;
  epp::cpp::Metric matches_;
};

}  // namespace example

// The entry function, for tests that link the plugin in (see label_match_filter.cc).
const epp_plugin_descriptor* example_label_match_entry(const epp_entry_args* args);

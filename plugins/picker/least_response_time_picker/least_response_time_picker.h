#pragma once

#include <cstdint>
#include <shared_mutex>
#include <unordered_map>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// least-response-time-picker: the candidates with the lowest expected wait, lowest first
// (`maxNumOfEndpoints`, default 1). The expected wait of an endpoint is its observed response
// time (an exponentially weighted moving average of the requests that completed there, kept
// by this instance from request_complete) times its in-flight requests + 1.
class LeastResponseTimePicker : public cpp::Plugin,
                                public cpp::Picker,
                                public cpp::ResponseHooks,
                                public cpp::EndpointHooks {
 public:
  explicit LeastResponseTimePicker(const cpp::CreateContext& ctx);
  size_t pick(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<const double> scores, std::span<uint32_t> picked) override;
  void requestComplete(const cpp::Request& request, const cpp::Response* response,
                       epp_request_outcome outcome) override;
  void endpointsRemoved(std::span<const uint64_t> endpointIds) override;

 private:
  struct Estimate {
    double ns = 0;  // moving average of the response time
    cpp::Series gauge;
  };

  int64_t maxNumOfEndpoints_;
  bool untilCompletion_;
  double smoothing_;
  cpp::Metric estimateMetric_;
  std::shared_mutex mutex_;
  std::unordered_map<uint64_t, Estimate> estimates_;  // by endpoint id
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLeastResponseTimePickerEntry(const epp_entry_args* args);

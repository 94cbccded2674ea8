// File: host/loader/metrics_sink.h
//
// The object behind epp_metrics_sink_host_ptr: what a backend adapter's parse_metrics
// reports besides the numeric fields (LoRA lists, engine labels).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "epp/abi.h"

namespace epp::loader {

struct MetricsSink {
  std::vector<std::string> active_loras;
  std::vector<std::string> waiting_loras;
  std::map<std::string, std::string> labels;

  epp_metrics_sink_host_ptr handle() { return reinterpret_cast<epp_metrics_sink_host_ptr>(this); }
  static MetricsSink* fromHandle(epp_metrics_sink_host_ptr handle) {
    return reinterpret_cast<MetricsSink*>(handle);
  }
};

}  // namespace epp::loader

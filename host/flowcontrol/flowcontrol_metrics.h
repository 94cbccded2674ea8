// File: host/flowcontrol/flowcontrol_metrics.h
//
// Admission and saturation metrics: the reference's
// inference_extension_flow_control_pool_saturation{inference_pool} and eppd's own
// admission counters. Registered once in the process registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include <string>

#include "host/flowcontrol/legacy_admission.h"

namespace epp::flowcontrol {

class FlowControlMetrics {
 public:
  static FlowControlMetrics& get();

  // Counts one admission step and, when the detector answered, sets the pool's gauge.
  void admission(const AdmissionResult& result, const std::string& pool);

 private:
  FlowControlMetrics();
  prometheus::Family<prometheus::Gauge>& poolSaturation_;
  prometheus::Family<prometheus::Counter>& rejections_;
  prometheus::Family<prometheus::Counter>& failOpen_;
};

}  // namespace epp::flowcontrol

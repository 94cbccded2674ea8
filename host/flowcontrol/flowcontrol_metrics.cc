#include "host/flowcontrol/flowcontrol_metrics.h"

#include <prometheus/registry.h>

#include "host/common/metrics_registry.h"

namespace epp::flowcontrol {

FlowControlMetrics& FlowControlMetrics::get() {
  static FlowControlMetrics* metrics = new FlowControlMetrics();  // outlives every thread
  return *metrics;
}

FlowControlMetrics::FlowControlMetrics()
    : poolSaturation_(prometheus::BuildGauge()
                          .Name("inference_extension_flow_control_pool_saturation")
                          .Help("Pool saturation as the saturation detector last read it "
                                "(>= 1 saturated)")
                          .Register(common::metricsRegistry())),
      rejections_(prometheus::BuildCounter()
                      .Name("eppd_admission_rejections_total")
                      .Help("Requests refused at admission, by reason")
                      .Register(common::metricsRegistry())),
      failOpen_(prometheus::BuildCounter()
                    .Name("eppd_admission_fail_open_total")
                    .Help("Sheddable requests admitted because the saturation detector failed")
                    .Register(common::metricsRegistry())) {
  // Present from the start, so a dashboard's rate() sees the first one.
  rejections_.Add({{"reason", "saturated"}});
  failOpen_.Add({});
}

void FlowControlMetrics::admission(const AdmissionResult& result, const std::string& pool) {
  if (result.reading.ok) poolSaturation_.Add({{"inference_pool", pool}}).Set(result.reading.value);
  if (result.outcome == AdmissionResult::Outcome::kRejected) {
    rejections_.Add({{"reason", "saturated"}}).Increment();
  } else if (result.outcome == AdmissionResult::Outcome::kFailedOpen) {
    failOpen_.Add({}).Increment();
  }
}

}  // namespace epp::flowcontrol

// File: host/flowcontrol/flowcontrol_metrics.h
//
// Admission and flow-control metrics, under the reference's names where it has them:
//   inference_extension_flow_control_pool_saturation{inference_pool}
//   inference_extension_flow_control_queue_size / _queue_bytes
//       {fairness_id, priority, inference_pool, model_name, target_model_name}
//   inference_extension_flow_control_request_queue_duration_seconds
//       {fairness_id, priority, outcome, inference_pool, model_name, target_model_name}
//   inference_extension_flow_control_request_enqueue_duration_seconds
//       {fairness_id, priority, outcome}
//   inference_extension_flow_control_dispatch_cycle_duration_seconds
// and eppd's own eppd_admission_rejections_total{reason} (legacy "saturated"; flow control
// "capacity", "ttl", "cancelled", "shutdown", "other") and eppd_admission_fail_open_total.
// Registered once in the process registry; series a request path touches are looked up
// once per label set and kept.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <mutex>
#include <string>
#include <unordered_map>

#include "host/flowcontrol/flow_request.h"
#include "host/flowcontrol/legacy_admission.h"

namespace epp::flowcontrol {

// The series of one label set that every queued request touches.
struct FlowSeries {
  prometheus::Gauge* size = nullptr;
  prometheus::Gauge* bytes = nullptr;
  prometheus::Histogram* enqueued = nullptr;  // enqueue duration, outcome "Queued"
  prometheus::Histogram* waited = nullptr;    // queue duration, outcome "Dispatched"
};

class FlowControlMetrics {
 public:
  static FlowControlMetrics& get();

  // Counts one admission step and, when the detector answered, sets the pool's gauge.
  void admission(const AdmissionResult& result, const std::string& pool);

  // Flow control.
  const FlowSeries* series(const FlowRequestInfo& info);
  void poolSaturation(const std::string& pool, double value);
  // `series` (optional) is the request's: the common outcomes use its cached histograms.
  void enqueued(const FlowRequestInfo& info, const char* outcome, double seconds,
                const FlowSeries* series = nullptr);
  void left(const FlowRequestInfo& info, QueueOutcome outcome, double seconds,
            const FlowSeries* series = nullptr);
  void dispatchCycle(double seconds);
  void failOpen();

 private:
  FlowControlMetrics();
  prometheus::Family<prometheus::Gauge>& poolSaturation_;
  prometheus::Family<prometheus::Counter>& rejections_;
  prometheus::Family<prometheus::Counter>& failOpen_;
  prometheus::Family<prometheus::Gauge>& queueSize_;
  prometheus::Family<prometheus::Gauge>& queueBytes_;
  prometheus::Family<prometheus::Histogram>& queueDuration_;
  prometheus::Family<prometheus::Histogram>& enqueueDuration_;
  prometheus::Histogram& dispatchCycle_;

  std::mutex mutex_;  // guards series_
  std::unordered_map<std::string, FlowSeries> series_;
};

}  // namespace epp::flowcontrol

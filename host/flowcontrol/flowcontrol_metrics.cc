#include "host/flowcontrol/flowcontrol_metrics.h"

#include <prometheus/registry.h>

#include <initializer_list>
#include <string_view>

#include "host/common/metrics_registry.h"

namespace epp::flowcontrol {
namespace {

const prometheus::Histogram::BucketBoundaries kQueueBuckets = {
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25,   0.5,    1.0,   2.5,   5.0,  10.0,  30.0, 60.0};
const prometheus::Histogram::BucketBoundaries kFastBuckets = {0.0001, 0.0002, 0.0005, 0.001, 0.002,
                                                              0.005,  0.01,   0.02,   0.05,  0.1};

}  // namespace

const char* outcomeLabel(QueueOutcome outcome) {
  switch (outcome) {
    case QueueOutcome::kDispatched:
      return "Dispatched";
    case QueueOutcome::kRejectedCapacity:
      return "RejectedCapacity";
    case QueueOutcome::kRejectedOther:
      return "RejectedOther";
    case QueueOutcome::kEvictedTtl:
      return "EvictedTTL";
    case QueueOutcome::kEvictedCancelled:
      return "EvictedContextCancelled";
    case QueueOutcome::kEvictedOther:
      return "EvictedOther";
  }
  return "EvictedOther";
}

const char* rejectionReason(QueueOutcome outcome) {
  switch (outcome) {
    case QueueOutcome::kRejectedCapacity:
      return "capacity";
    case QueueOutcome::kEvictedTtl:
      return "ttl";
    case QueueOutcome::kEvictedCancelled:
      return "cancelled";
    case QueueOutcome::kEvictedOther:
      return "shutdown";
    case QueueOutcome::kRejectedOther:
    case QueueOutcome::kDispatched:
      return "other";
  }
  return "other";
}

QueueError queueError(QueueOutcome outcome) {
  switch (outcome) {
    case QueueOutcome::kRejectedCapacity:
      return {429, "ResourceExhausted", "request rejected by flow control: queue at capacity"};
    case QueueOutcome::kEvictedTtl:
      return {503, "ServiceUnavailable", "request timed out in queue"};
    case QueueOutcome::kEvictedCancelled:
      return {503, "ServiceUnavailable", "client disconnected"};
    case QueueOutcome::kEvictedOther:
      return {503, "ServiceUnavailable", "request evicted by flow control: eppd is shutting down"};
    case QueueOutcome::kRejectedOther:
    case QueueOutcome::kDispatched:
      return {500, "Internal", "request rejected by flow control"};
  }
  return {500, "Internal", "request rejected by flow control"};
}

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
                      .Help("Requests refused at admission or evicted from flow control, by "
                            "reason")
                      .Register(common::metricsRegistry())),
      failOpen_(prometheus::BuildCounter()
                    .Name("eppd_admission_fail_open_total")
                    .Help("Requests admitted or dispatched because the saturation detector "
                          "failed")
                    .Register(common::metricsRegistry())),
      queueSize_(prometheus::BuildGauge()
                     .Name("inference_extension_flow_control_queue_size")
                     .Help("Requests waiting in flow-control queues")
                     .Register(common::metricsRegistry())),
      queueBytes_(prometheus::BuildGauge()
                      .Name("inference_extension_flow_control_queue_bytes")
                      .Help("Bytes of the requests waiting in flow-control queues")
                      .Register(common::metricsRegistry())),
      queueDuration_(prometheus::BuildHistogram()
                         .Name("inference_extension_flow_control_request_queue_duration_seconds")
                         .Help("Time requests spent in flow control, enqueue to outcome")
                         .Register(common::metricsRegistry())),
      enqueueDuration_(
          prometheus::BuildHistogram()
              .Name("inference_extension_flow_control_request_enqueue_duration_seconds")
              .Help("Time to enqueue a request into flow control")
              .Register(common::metricsRegistry())),
      dispatchCycle_(prometheus::BuildHistogram()
                         .Name("inference_extension_flow_control_dispatch_cycle_duration_seconds")
                         .Help("Time of one dispatch cycle: saturation check and pick")
                         .Register(common::metricsRegistry())
                         .Add({}, kFastBuckets)) {
  // Present from the start, so a dashboard's rate() sees the first one.
  for (const char* reason : {"saturated", "capacity", "ttl", "cancelled"}) {
    rejections_.Add({{"reason", reason}});
  }
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

const FlowSeries* FlowControlMetrics::series(const FlowRequestInfo& info) {
  std::string priority = std::to_string(info.key.priority);
  std::string key = info.key.fairnessId;
  for (const std::string* part : std::initializer_list<const std::string*>{
           &priority, &info.pool, &info.modelName, &info.targetModelName}) {
    key.push_back('\0');
    key += *part;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = series_.try_emplace(std::move(key));
  if (inserted) {
    const std::map<std::string, std::string> labels = {{"fairness_id", info.key.fairnessId},
                                                       {"priority", priority},
                                                       {"inference_pool", info.pool},
                                                       {"model_name", info.modelName},
                                                       {"target_model_name", info.targetModelName}};
    it->second.size = &queueSize_.Add(labels);
    it->second.bytes = &queueBytes_.Add(labels);
    it->second.enqueued = &enqueueDuration_.Add(
        {{"fairness_id", info.key.fairnessId}, {"priority", priority}, {"outcome", "Queued"}},
        kFastBuckets);
    auto waited = labels;
    waited.emplace("outcome", outcomeLabel(QueueOutcome::kDispatched));
    it->second.waited = &queueDuration_.Add(waited, kQueueBuckets);
  }
  return &it->second;
}

void FlowControlMetrics::poolSaturation(const std::string& pool, double value) {
  poolSaturation_.Add({{"inference_pool", pool}}).Set(value);
}

void FlowControlMetrics::enqueued(const FlowRequestInfo& info, const char* outcome, double seconds,
                                  const FlowSeries* series) {
  if (series != nullptr && std::string_view(outcome) == "Queued") {
    series->enqueued->Observe(seconds);
    return;
  }
  enqueueDuration_
      .Add({{"fairness_id", info.key.fairnessId},
            {"priority", std::to_string(info.key.priority)},
            {"outcome", outcome}},
           kFastBuckets)
      .Observe(seconds);
}

void FlowControlMetrics::left(const FlowRequestInfo& info, QueueOutcome outcome, double seconds,
                              const FlowSeries* series) {
  if (series != nullptr && outcome == QueueOutcome::kDispatched) {
    series->waited->Observe(seconds);
    return;
  }
  queueDuration_
      .Add({{"fairness_id", info.key.fairnessId},
            {"priority", std::to_string(info.key.priority)},
            {"outcome", outcomeLabel(outcome)},
            {"inference_pool", info.pool},
            {"model_name", info.modelName},
            {"target_model_name", info.targetModelName}},
           kQueueBuckets)
      .Observe(seconds);
  if (outcome != QueueOutcome::kDispatched) {
    rejections_.Add({{"reason", rejectionReason(outcome)}}).Increment();
  }
}

void FlowControlMetrics::dispatchCycle(double seconds) { dispatchCycle_.Observe(seconds); }

void FlowControlMetrics::failOpen() { failOpen_.Add({}).Increment(); }

}  // namespace epp::flowcontrol

// File: host/loader/plugin_metrics.h
//
// Metric families plugins register through the host table, on the process registry
// (common::metricsRegistry()). The host adds the label `plugin_name` (the instance name)
// so several instances of one type share a family. A family is keyed by its name: a
// second registration with the same shape (type, label names, buckets) gets the same
// family, a different shape is an error. Series are reference-counted across instances:
// an instance carried into a new config generation under the same name keeps counting on
// the same series, and a series disappears from /metrics when its last instance is gone.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "epp/abi.h"
#include "host/common/result.h"

namespace epp::loader {

class MetricFamily;

// The object behind epp_series_host_ptr.
class SeriesHandle {
 public:
  SeriesHandle(epp_metric_type type, void* metric) : type_(type), metric_(metric) {}
  // Counter: add (v >= 0). Gauge: add.
  void add(double value);
  // Gauge only.
  void set(double value);
  // Histogram only.
  void observe(double value);

  epp_series_host_ptr handle() { return reinterpret_cast<epp_series_host_ptr>(this); }
  static SeriesHandle* fromHandle(epp_series_host_ptr handle) {
    return reinterpret_cast<SeriesHandle*>(handle);
  }

 private:
  void misuse(const char* operation);

  epp_metric_type type_;
  void* metric_;
  std::once_flag warned_;
};

// The object behind epp_metric_host_ptr: one family as one instance uses it.
class MetricHandle {
 public:
  MetricHandle(std::shared_ptr<MetricFamily> family, std::string plugin_name);
  ~MetricHandle();
  MetricHandle(const MetricHandle&) = delete;
  MetricHandle& operator=(const MetricHandle&) = delete;

  // The series with these label values (one per label name, in order); the same handle
  // for the same values.
  common::Result<SeriesHandle*> series(std::span<const std::string_view> label_values);
  const MetricFamily* family() const { return family_.get(); }

  epp_metric_host_ptr handle() { return reinterpret_cast<epp_metric_host_ptr>(this); }
  static MetricHandle* fromHandle(epp_metric_host_ptr handle) {
    return reinterpret_cast<MetricHandle*>(handle);
  }

 private:
  std::shared_ptr<MetricFamily> family_;
  std::string plugin_name_;
  std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<SeriesHandle>> series_;
};

// All metric families of one instance; destroyed with it (after the plugin's destroy).
class InstanceMetrics {
 public:
  explicit InstanceMetrics(std::string plugin_name) : plugin_name_(std::move(plugin_name)) {}

  // Validates `desc` (read within its struct_size) and finds or creates its family.
  common::Result<MetricHandle*> registerMetric(const epp_metric_desc* desc);

 private:
  std::string plugin_name_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<MetricHandle>> metrics_;
};

// True for a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
bool isMetricName(std::string_view name);
// True for a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__").
bool isLabelName(std::string_view name);

}  // namespace epp::loader

#include "host/loader/plugin_metrics.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <algorithm>
#include <cmath>

#include "host/common/logging.h"
#include "host/common/metrics_registry.h"
#include "host/loader/abi_views.h"
#include "host/loader/sized_struct.h"

namespace epp::loader {

using common::Error;
using common::Result;

namespace {

constexpr std::string_view kPluginNameLabel = "plugin_name";

const char* typeName(epp_metric_type type) {
  switch (type) {
    case EPP_METRIC_COUNTER:
      return "counter";
    case EPP_METRIC_GAUGE:
      return "gauge";
    default:
      return "histogram";
  }
}

struct MetricShape {
  epp_metric_type type = EPP_METRIC_COUNTER;
  std::string name;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> buckets;

  bool sameShape(const MetricShape& other) const {
    return type == other.type && label_names == other.label_names && buckets == other.buckets;
  }
  std::string describe() const {
    std::string text =
        fmt::format("a {} with labels [{}]", typeName(type), fmt::join(label_names, ", "));
    if (type == EPP_METRIC_HISTOGRAM)
      text += fmt::format(" and buckets [{}]", fmt::join(buckets, ", "));
    return text;
  }
};

bool nameExistsInRegistry(const std::string& name) {
  for (const auto& family : common::metricsRegistry().Collect()) {
    if (family.name == name) return true;
  }
  return false;
}

Result<MetricShape> readDesc(const epp_metric_desc* desc) {
  if (desc == nullptr) return Error{"metric description is NULL"};
  if (!hasField(desc, &epp_metric_desc::buckets_count)) {
    return Error{
        fmt::format("metric description struct_size {} is smaller than the {} bytes of "
                    "its v1.0 fields",
                    desc->struct_size, fieldEnd(&epp_metric_desc::buckets_count))};
  }
  MetricShape shape;
  shape.type = fieldOr(desc, &epp_metric_desc::type);
  shape.name = std::string(toView(fieldOr(desc, &epp_metric_desc::name)));
  shape.help = std::string(toView(fieldOr(desc, &epp_metric_desc::help)));
  if (shape.type != EPP_METRIC_COUNTER && shape.type != EPP_METRIC_GAUGE &&
      shape.type != EPP_METRIC_HISTOGRAM) {
    return Error{fmt::format("metric '{}' has unknown type {}", shape.name, shape.type)};
  }
  if (!isMetricName(shape.name)) {
    return Error{fmt::format("'{}' is not a valid Prometheus metric name", shape.name)};
  }
  const epp_str* labels = fieldOr(desc, &epp_metric_desc::label_names);
  size_t label_count = fieldOr(desc, &epp_metric_desc::label_names_count);
  if (label_count > 0 && labels == nullptr) {
    return Error{fmt::format("metric '{}': label_names is NULL", shape.name)};
  }
  for (size_t i = 0; i < label_count; ++i) {
    std::string label(toView(labels[i]));
    if (!isLabelName(label) || label == kPluginNameLabel) {
      return Error{fmt::format("metric '{}': '{}' is not a valid label name{}", shape.name, label,
                               label == kPluginNameLabel ? " (eppd adds plugin_name itself)" : "")};
    }
    if (std::find(shape.label_names.begin(), shape.label_names.end(), label) !=
        shape.label_names.end()) {
      return Error{fmt::format("metric '{}': label '{}' is listed twice", shape.name, label)};
    }
    shape.label_names.push_back(std::move(label));
  }
  if (shape.type == EPP_METRIC_HISTOGRAM) {
    const double* buckets = fieldOr(desc, &epp_metric_desc::buckets);
    size_t bucket_count = fieldOr(desc, &epp_metric_desc::buckets_count);
    if (bucket_count == 0 || buckets == nullptr) {
      return Error{fmt::format("histogram '{}' has no buckets", shape.name)};
    }
    shape.buckets.assign(buckets, buckets + bucket_count);
    for (size_t i = 0; i < bucket_count; ++i) {
      if (!std::isfinite(shape.buckets[i]) || (i > 0 && shape.buckets[i] <= shape.buckets[i - 1])) {
        return Error{
            fmt::format("histogram '{}': buckets must be finite and increasing", shape.name)};
      }
    }
  }
  return shape;
}

}  // namespace

// A family's Prometheus objects. They outlive every MetricFamily that uses them (see
// FamilyTable), so a family whose instances are all gone and come back keeps its
// registration and no scrape races with a removal.
struct PrometheusFamily {
  epp_metric_type type = EPP_METRIC_COUNTER;
  prometheus::Family<prometheus::Counter>* counters = nullptr;
  prometheus::Family<prometheus::Gauge>* gauges = nullptr;
  prometheus::Family<prometheus::Histogram>* histograms = nullptr;

  static PrometheusFamily create(const MetricShape& shape) {
    auto& registry = common::metricsRegistry();
    PrometheusFamily out;
    out.type = shape.type;
    switch (shape.type) {
      case EPP_METRIC_COUNTER:
        out.counters =
            &prometheus::BuildCounter().Name(shape.name).Help(shape.help).Register(registry);
        break;
      case EPP_METRIC_GAUGE:
        out.gauges = &prometheus::BuildGauge().Name(shape.name).Help(shape.help).Register(registry);
        break;
      default:
        out.histograms =
            &prometheus::BuildHistogram().Name(shape.name).Help(shape.help).Register(registry);
        break;
    }
    return out;
  }

  void unregister() const {
    auto& registry = common::metricsRegistry();
    if (counters != nullptr) registry.Remove(*counters);
    if (gauges != nullptr) registry.Remove(*gauges);
    if (histograms != nullptr) registry.Remove(*histograms);
  }
};

// One family as plugins see it: its shape and the reference counts of its series.
class MetricFamily {
 public:
  MetricFamily(MetricShape shape, PrometheusFamily prometheus)
      : shape_(std::move(shape)), prometheus_(prometheus) {}

  const MetricShape& shape() const { return shape_; }

  void* acquire(const prometheus::Labels& labels) {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[labels];
    if (entry.refs++ == 0) {
      if (prometheus_.counters != nullptr) entry.metric = &prometheus_.counters->Add(labels);
      if (prometheus_.gauges != nullptr) entry.metric = &prometheus_.gauges->Add(labels);
      if (prometheus_.histograms != nullptr) {
        entry.metric = &prometheus_.histograms->Add(
            labels, prometheus::Histogram::BucketBoundaries(shape_.buckets));
      }
    }
    return entry.metric;
  }

  void release(const prometheus::Labels& labels) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(labels);
    if (it == entries_.end() || --it->second.refs > 0) return;
    void* metric = it->second.metric;
    if (prometheus_.counters != nullptr) {
      prometheus_.counters->Remove(static_cast<prometheus::Counter*>(metric));
    }
    if (prometheus_.gauges != nullptr) {
      prometheus_.gauges->Remove(static_cast<prometheus::Gauge*>(metric));
    }
    if (prometheus_.histograms != nullptr) {
      prometheus_.histograms->Remove(static_cast<prometheus::Histogram*>(metric));
    }
    entries_.erase(it);
  }

 private:
  struct Entry {
    void* metric = nullptr;
    int refs = 0;
  };

  MetricShape shape_;
  PrometheusFamily prometheus_;
  std::mutex mutex_;
  std::map<prometheus::Labels, Entry> entries_;
};

namespace {

// Families by name, process-wide.
class FamilyTable {
 public:
  static FamilyTable& get() {
    static auto* table = new FamilyTable();
    return *table;
  }

  Result<std::shared_ptr<MetricFamily>> findOrCreate(MetricShape shape) {
    std::lock_guard lock(mutex_);
    auto it = families_.find(shape.name);
    if (it != families_.end()) {
      if (auto live = it->second.live.lock()) {
        if (!live->shape().sameShape(shape)) {
          return Error{
              fmt::format("metric '{}' is already registered as {}; this registration "
                          "asks for {}",
                          shape.name, live->shape().describe(), shape.describe())};
        }
        return live;
      }
      // Nobody uses the family any more: a new shape may take the name.
      if (it->second.prometheus.type != shape.type) {
        it->second.prometheus.unregister();
        families_.erase(it);
        it = families_.end();
      }
    }
    if (it == families_.end()) {
      if (nameExistsInRegistry(shape.name)) {
        return Error{fmt::format("metric name '{}' is already used by eppd", shape.name)};
      }
      it = families_.emplace(shape.name, Record{{}, PrometheusFamily::create(shape)}).first;
    }
    auto family = std::make_shared<MetricFamily>(std::move(shape), it->second.prometheus);
    it->second.live = family;
    return family;
  }

 private:
  struct Record {
    std::weak_ptr<MetricFamily> live;
    PrometheusFamily prometheus;
  };

  std::mutex mutex_;
  std::map<std::string, Record> families_;
};

}  // namespace

void SeriesHandle::misuse(const char* operation) {
  std::call_once(warned_, [&] {
    common::logger()->warn("plugin called {} on a {} series; ignored", operation, typeName(type_));
  });
}

void SeriesHandle::add(double value) {
  if (type_ == EPP_METRIC_COUNTER) {
    if (value < 0 || std::isnan(value)) return misuse("series_add with a negative value");
    static_cast<prometheus::Counter*>(metric_)->Increment(value);
  } else if (type_ == EPP_METRIC_GAUGE) {
    static_cast<prometheus::Gauge*>(metric_)->Increment(value);
  } else {
    misuse("series_add");
  }
}

void SeriesHandle::set(double value) {
  if (type_ != EPP_METRIC_GAUGE) return misuse("series_set");
  static_cast<prometheus::Gauge*>(metric_)->Set(value);
}

void SeriesHandle::observe(double value) {
  if (type_ != EPP_METRIC_HISTOGRAM) return misuse("series_observe");
  static_cast<prometheus::Histogram*>(metric_)->Observe(value);
}

MetricHandle::MetricHandle(std::shared_ptr<MetricFamily> family, std::string plugin_name)
    : family_(std::move(family)), plugin_name_(std::move(plugin_name)) {}

namespace {

prometheus::Labels seriesLabels(const std::string& plugin_name,
                                const std::vector<std::string>& names,
                                const std::vector<std::string>& values) {
  prometheus::Labels labels{{std::string(kPluginNameLabel), plugin_name}};
  for (size_t i = 0; i < names.size(); ++i) labels.emplace(names[i], values[i]);
  return labels;
}

}  // namespace

MetricHandle::~MetricHandle() {
  for (const auto& [values, series] : series_) {
    family_->release(seriesLabels(plugin_name_, family_->shape().label_names, values));
  }
}

Result<SeriesHandle*> MetricHandle::series(std::span<const std::string_view> label_values) {
  const MetricShape& shape = family_->shape();
  if (label_values.size() != shape.label_names.size()) {
    return Error{fmt::format("metric '{}' has {} labels, got {} values", shape.name,
                             shape.label_names.size(), label_values.size())};
  }
  std::vector<std::string> values(label_values.begin(), label_values.end());
  std::lock_guard lock(mutex_);
  auto& slot = series_[values];
  if (!slot) {
    void* metric = family_->acquire(seriesLabels(plugin_name_, shape.label_names, values));
    slot = std::make_unique<SeriesHandle>(shape.type, metric);
  }
  return slot.get();
}

Result<MetricHandle*> InstanceMetrics::registerMetric(const epp_metric_desc* desc) {
  auto shape = readDesc(desc);
  if (!shape) return Error{shape.error()};
  auto family = FamilyTable::get().findOrCreate(std::move(*shape));
  if (!family) return Error{family.error()};
  std::lock_guard lock(mutex_);
  for (const auto& existing : metrics_) {
    // Registering the same family twice from one instance returns the same handle.
    if (existing->family() == family->get()) return existing.get();
  }
  metrics_.push_back(std::make_unique<MetricHandle>(std::move(*family), plugin_name_));
  return metrics_.back().get();
}

bool isMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool isLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace epp::loader

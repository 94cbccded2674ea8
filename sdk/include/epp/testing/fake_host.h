// File: epp/testing/fake_host.h
//
// A fake eppd for plugin unit tests: implements the host callback table in memory, calls
// a plugin's entry point, creates instances and drives every kind's calls. No eppd, no
// sockets, no YAML. Works with plugins in any language that export an entry function.
//
//   epp::testing::FakeHost host;
//   auto* desc = host.load(&epp_plugin_entry);            // or an EPP_PLUGIN_ENTRY_FN
//   auto scorer = host.create(desc, "idle-scorer", ParamValue::map({{"cap", 4}}));
//   EndpointSet eps({{.waiting = 0}, {.waiting = 9}});
//   FakeRequest req;
//   std::vector<double> s = scorer->score(req, eps);     // {1.0, 0.0}
//
// State hand-over (ABI 1.1) between an old and a re-created instance, as eppd drives it on
// a reload, also across two versions of a plugin (two entry functions in one test):
//   auto old = host.create(v1, "my-type");  ...  auto fresh = host.create(v2, "my-type");
//   FakeHandover h = host.handOver(*old, *fresh);   // h.result == FakeHandover::kImported
//
// One FakeHost may exist at a time (the C callbacks find it through a global).
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "epp/abi.h"
#include "epp/cpp/units.h"
#include "epp/testing/fake_endpoints.h"
#include "epp/testing/fake_request.h"
#include "epp/testing/param_value.h"

namespace epp::testing {

struct LogRecord {
  std::string instance;  // instance name ("" for library-level lines)
  std::string requestId;
  epp_log_level level;
  std::string message;
};

struct MetricFamily {
  epp_metric_type type;
  std::vector<std::string> labelNames;  // including "plugin_name" first
  std::vector<double> buckets;
  struct Series {
    std::vector<std::string> labelValues;
    double value = 0;    // counter/gauge value, histogram sum
    uint64_t count = 0;  // histogram observations
  };
  std::vector<std::unique_ptr<Series>> series;
};

// What a backend adapter parsed.
struct ParsedMetrics {
  epp_status status = EPP_OK;
  std::string error;
  epp_endpoint_metrics metrics{};
  std::vector<std::string> activeLoras;
  std::vector<std::string> waitingLoras;
  std::map<std::string, std::string> labels;
};

class FakeHost;

namespace fake_detail {

struct ParamNode {
  const ParamValue* value;
  std::string location;
  std::vector<std::unique_ptr<ParamNode>> children;
};

struct InstanceRecord {
  std::string type;
  std::string name;
  // kv_events_subscribe (ABI 1.3): port 0 when never called.
  int kvPort = 0;
  std::string kvTopicFilter;
};

struct ErrorSink {
  std::string message;
};

struct MetricsSink {
  ParsedMetrics* out;
};

// What export_state writes (epp_state_sink_host_ptr).
struct StateSink {
  std::string format;
  std::string data;
  size_t maxBytes = SIZE_MAX;
  bool overflowed = false;
};

inline FakeHost*& current() {
  static FakeHost* host = nullptr;
  return host;
}

inline std::string_view sv(epp_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : ""; }

}  // namespace fake_detail

class FakeInstance;
struct FakeHandover;

class FakeHost {
 public:
  FakeHost() {
    if (fake_detail::current() != nullptr) throw std::logic_error("one FakeHost at a time");
    fake_detail::current() = this;
  }
  ~FakeHost() { fake_detail::current() = nullptr; }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const epp_host_api* api() const { return &kApi; }

  // Calls `entry` as eppd would. Returns the descriptor, or nullptr with lastError().
  const epp_plugin_descriptor* load(epp_plugin_entry_fn entry) {
    fake_detail::ErrorSink sink;
    epp_entry_args args{sizeof(epp_entry_args), EPP_ABI_MAJOR, EPP_ABI_MINOR, &kApi,
                        reinterpret_cast<epp_error_host_ptr>(&sink)};
    const epp_plugin_descriptor* d = entry(&args);
    lastError_ = d ? "" : (sink.message.empty() ? "entry returned NULL" : sink.message);
    return d;
  }

  // Creates an instance of `type`. Returns nullptr with lastError() on failure.
  std::unique_ptr<FakeInstance> create(const epp_plugin_descriptor* plugin, std::string_view type,
                                       const ParamValue& params = ParamValue(),
                                       std::string name = "");

  const std::string& lastError() const { return lastError_; }

  // Hands `from`'s state to `to` as eppd does when it re-creates an instance: export_state
  // on `from`, then import_state on `to`. A no-op (kNotOffered) unless both types offer
  // it and share a type name. Never throws for what the plugin does.
  FakeHandover handOver(FakeInstance& from, FakeInstance& to);
  // Size limit of exported state (eppd's is 1 GiB): a larger write gets EPP_ERR_OUT_OF_RANGE.
  size_t maxStateBytes = SIZE_MAX;

  // Clock seen by plugins (now_ns); starts at 1 s and only moves when told to.
  int64_t nowNs = 1'000'000'000;
  void advance(int64_t ns) { nowNs += ns; }

  const std::vector<LogRecord>& logs() const { return logs_; }
  bool logged(std::string_view needle) const {
    for (const auto& l : logs_) {
      if (l.message.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  // Value of a counter/gauge series (histograms: sum); labels exclude plugin_name. NaN when
  // absent.
  double metricValue(const std::string& name, const std::string& pluginName,
                     const std::vector<std::string>& labels = {}) const {
    auto s = findSeries(name, pluginName, labels);
    return s ? s->value : std::nan("");
  }
  uint64_t histogramCount(const std::string& name, const std::string& pluginName,
                          const std::vector<std::string>& labels = {}) const {
    auto s = findSeries(name, pluginName, labels);
    return s ? s->count : 0;
  }

 private:
  friend class FakeInstance;
  using Node = fake_detail::ParamNode;

  static FakeHost& self() { return *fake_detail::current(); }
  static std::string_view sv(epp_str s) { return fake_detail::sv(s); }
  static epp_str str(const std::string& s) { return {s.data(), s.size()}; }
  static Node* node(epp_param_host_ptr p) { return reinterpret_cast<Node*>(p); }
  static epp_param_host_ptr handle(Node* n) { return reinterpret_cast<epp_param_host_ptr>(n); }
  static FakeRequest* req(epp_request_host_ptr r) { return reinterpret_cast<FakeRequest*>(r); }

  std::unique_ptr<Node> buildTree(const ParamValue& v, std::string location) {
    auto n = std::make_unique<Node>();
    n->value = &v;
    n->location = location;
    for (const auto& [key, child] : v.items()) {
      std::string loc = v.kind() == ParamValue::Kind::kMap
                            ? location + "." + key
                            : location + "[" + std::to_string(n->children.size()) + "]";
      n->children.push_back(buildTree(child, loc));
    }
    return n;
  }

  const MetricFamily::Series* findSeries(const std::string& name, const std::string& plugin,
                                         const std::vector<std::string>& labels) const {
    auto it = metrics_.find(name);
    if (it == metrics_.end()) return nullptr;
    std::vector<std::string> want{plugin};
    want.insert(want.end(), labels.begin(), labels.end());
    for (const auto& s : it->second.series) {
      if (s->labelValues == want) return s.get();
    }
    return nullptr;
  }

  // ---- the callback table ----
  static void errorSet(epp_error_host_ptr e, epp_str m) {
    if (e) reinterpret_cast<fake_detail::ErrorSink*>(e)->message = std::string(sv(m));
  }
  static void log(epp_instance_host_ptr i, epp_request_host_ptr r, epp_log_level level, epp_str m) {
    auto* rec = reinterpret_cast<fake_detail::InstanceRecord*>(i);
    std::lock_guard<std::mutex> lock(self().mutex_);
    self().logs_.push_back(
        {rec ? rec->name : "", r ? req(r)->spec().requestId : "", level, std::string(sv(m))});
  }
  static bool logEnabled(epp_log_level) { return true; }
  static int64_t now() { return self().nowNs; }
  static int64_t wallTime() { return self().nowNs; }

  static epp_param_kind paramKind(epp_param_host_ptr p) {
    switch (node(p)->value->kind()) {
      case ParamValue::Kind::kScalar:
        return EPP_PARAM_SCALAR;
      case ParamValue::Kind::kList:
        return EPP_PARAM_LIST;
      case ParamValue::Kind::kMap:
        return EPP_PARAM_MAP;
      default:
        return EPP_PARAM_NULL;
    }
  }
  static epp_str paramLocation(epp_param_host_ptr p) { return str(node(p)->location); }
  static epp_status paramGet(epp_param_host_ptr p, epp_str key, epp_param_host_ptr* out) {
    Node* n = node(p);
    if (n->value->kind() != ParamValue::Kind::kMap) return EPP_ERR_NOT_FOUND;
    for (size_t i = 0; i < n->children.size(); ++i) {
      if (n->value->items()[i].first == sv(key)) {
        *out = handle(n->children[i].get());
        return EPP_OK;
      }
    }
    return EPP_ERR_NOT_FOUND;
  }
  static size_t paramSize(epp_param_host_ptr p) { return node(p)->children.size(); }
  static epp_status paramAt(epp_param_host_ptr p, size_t i, epp_param_host_ptr* out, epp_str* key) {
    Node* n = node(p);
    if (i >= n->children.size()) return EPP_ERR_OUT_OF_RANGE;
    *out = handle(n->children[i].get());
    if (key) *key = str(n->value->items()[i].first);
    return EPP_OK;
  }
  static const std::string* scalar(epp_param_host_ptr p) {
    const ParamValue* v = node(p)->value;
    return v->kind() == ParamValue::Kind::kScalar ? &v->text() : nullptr;
  }
  static epp_status paramBool(epp_param_host_ptr p, bool* out) {
    const std::string* s = scalar(p);
    if (s && (*s == "true" || *s == "false")) {
      *out = *s == "true";
      return EPP_OK;
    }
    return EPP_ERR_INVALID_ARGUMENT;
  }
  static epp_status paramInt(epp_param_host_ptr p, int64_t* out) {
    const std::string* s = scalar(p);
    if (!s || s->empty()) return EPP_ERR_INVALID_ARGUMENT;
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s->c_str(), &end, 10);
    if (errno != 0 || end != s->c_str() + s->size()) return EPP_ERR_INVALID_ARGUMENT;
    *out = v;
    return EPP_OK;
  }
  static epp_status paramDouble(epp_param_host_ptr p, double* out) {
    const std::string* s = scalar(p);
    if (!s || s->empty()) return EPP_ERR_INVALID_ARGUMENT;
    char* end = nullptr;
    double v = std::strtod(s->c_str(), &end);
    if (end != s->c_str() + s->size() || !std::isfinite(v)) return EPP_ERR_INVALID_ARGUMENT;
    *out = v;
    return EPP_OK;
  }
  static epp_status paramString(epp_param_host_ptr p, epp_str* out) {
    const std::string* s = scalar(p);
    if (!s) return EPP_ERR_INVALID_ARGUMENT;
    *out = str(*s);
    return EPP_OK;
  }
  static epp_status paramDuration(epp_param_host_ptr p, int64_t* out) {
    const std::string* s = scalar(p);
    cpp::UnitValue v = s ? cpp::parseDurationNs(*s) : cpp::UnitValue{0, cpp::UnitError::kInvalid};
    if (!v) return EPP_ERR_INVALID_ARGUMENT;
    *out = *v;
    return EPP_OK;
  }
  static epp_status paramBytes(epp_param_host_ptr p, int64_t* out) {
    const std::string* s = scalar(p);
    cpp::UnitValue v = s ? cpp::parseBytes(*s) : cpp::UnitValue{0, cpp::UnitError::kInvalid};
    if (!v) return EPP_ERR_INVALID_ARGUMENT;
    *out = *v;
    return EPP_OK;
  }

  static epp_status metricRegister(epp_instance_host_ptr i, const epp_metric_desc* d,
                                   epp_metric_host_ptr* out, epp_error_host_ptr e) {
    std::vector<std::string> labels{"plugin_name"};
    for (size_t k = 0; k < d->label_names_count; ++k) {
      labels.emplace_back(sv(d->label_names[k]));
    }
    std::string name(sv(d->name));
    std::lock_guard<std::mutex> lock(self().mutex_);
    auto& metrics = self().metrics_;
    auto it = metrics.find(name);
    if (it != metrics.end()) {
      if (it->second.type != d->type || it->second.labelNames != labels) {
        errorSet(e, str("metric " + name + " already registered with another shape"));
        return EPP_ERR_INVALID_ARGUMENT;
      }
    } else {
      it = metrics.emplace(name, MetricFamily{d->type, labels, {}, {}}).first;
      it->second.buckets.assign(d->buckets, d->buckets + d->buckets_count);
    }
    // One handle per (family, instance): series carry the instance's name.
    self().metricHandles_.push_back(
        {&it->second, reinterpret_cast<fake_detail::InstanceRecord*>(i)->name});
    *out = reinterpret_cast<epp_metric_host_ptr>(&self().metricHandles_.back());
    return EPP_OK;
  }
  static epp_status metricSeries(epp_metric_host_ptr m, const epp_str* values, size_t n,
                                 epp_series_host_ptr* out) {
    std::lock_guard<std::mutex> lock(self().mutex_);
    auto* metricHandle = reinterpret_cast<MetricHandle*>(m);
    MetricFamily* family = metricHandle->family;
    if (n + 1 != family->labelNames.size()) return EPP_ERR_INVALID_ARGUMENT;
    std::vector<std::string> want{metricHandle->plugin};
    for (size_t k = 0; k < n; ++k) want.emplace_back(sv(values[k]));
    for (auto& s : family->series) {
      if (s->labelValues == want) {
        *out = reinterpret_cast<epp_series_host_ptr>(s.get());
        return EPP_OK;
      }
    }
    family->series.push_back(std::make_unique<MetricFamily::Series>());
    family->series.back()->labelValues = want;
    *out = reinterpret_cast<epp_series_host_ptr>(family->series.back().get());
    return EPP_OK;
  }
  static MetricFamily::Series* series(epp_series_host_ptr s) {
    return reinterpret_cast<MetricFamily::Series*>(s);
  }
  static void seriesAdd(epp_series_host_ptr s, double v) {
    std::lock_guard<std::mutex> lock(self().mutex_);
    series(s)->value += v;
  }
  static void seriesSet(epp_series_host_ptr s, double v) {
    std::lock_guard<std::mutex> lock(self().mutex_);
    series(s)->value = v;
  }
  static void seriesObserve(epp_series_host_ptr s, double v) {
    std::lock_guard<std::mutex> lock(self().mutex_);
    series(s)->value += v;
    series(s)->count++;
  }

  static epp_str requestHeader(epp_request_host_ptr r, epp_str name) {
    return req(r)->header(sv(name));
  }
  static epp_status requestSetHeader(epp_request_host_ptr r, epp_str name, epp_str value) {
    req(r)->setHeader(sv(name), sv(value));
    return EPP_OK;
  }
  static epp_status requestPrefixHashes(epp_request_host_ptr r, uint32_t block, uint32_t max,
                                        const uint64_t** out, size_t* count) {
    if (block == 0) return EPP_ERR_INVALID_ARGUMENT;
    const auto& h = req(r)->prefixHashes(block, max);
    *out = h.data();
    *count = h.size();
    return EPP_OK;
  }
  static uint64_t requestRandom(epp_request_host_ptr r) { return req(r)->random(); }
  static epp_status requestStateSet(epp_request_host_ptr r, epp_instance_host_ptr i, void* s,
                                    void (*destroy)(void*)) {
    req(r)->setState(i, s, destroy);
    return EPP_OK;
  }
  static void* requestStateGet(epp_request_host_ptr r, epp_instance_host_ptr i) {
    return req(r)->state(i);
  }
  static epp_status requestDataPut(epp_request_host_ptr r, epp_str key, const uint64_t* ids,
                                   const double* values, size_t n) {
    req(r)->dataPut(sv(key), ids, values, n);
    return EPP_OK;
  }
  static epp_status requestDataGet(epp_request_host_ptr r, epp_str key,
                                   const epp_endpoint_list* eps, double* values) {
    return req(r)->dataGet(sv(key), eps, values) ? EPP_OK : EPP_ERR_NOT_FOUND;
  }
  static epp_status requestPool(epp_request_host_ptr r, epp_endpoint_list* out) {
    const EndpointSet* pool = req(r)->pool();
    if (!pool) return EPP_ERR_NOT_FOUND;
    *out = *pool->list();
    return EPP_OK;
  }
  static void sinkAddLora(epp_metrics_sink_host_ptr s, epp_lora_list list, epp_str name) {
    auto* out = reinterpret_cast<fake_detail::MetricsSink*>(s)->out;
    (list == EPP_LORA_ACTIVE ? out->activeLoras : out->waitingLoras).emplace_back(sv(name));
  }
  static void sinkSetLabel(epp_metrics_sink_host_ptr s, epp_str key, epp_str value) {
    reinterpret_cast<fake_detail::MetricsSink*>(s)->out->labels[std::string(sv(key))] =
        std::string(sv(value));
  }

  static epp_status stateSinkSetFormat(epp_state_sink_host_ptr s, epp_str format) {
    if (s == nullptr || format.len == 0 || format.len > 256) return EPP_ERR_INVALID_ARGUMENT;
    reinterpret_cast<fake_detail::StateSink*>(s)->format = std::string(sv(format));
    return EPP_OK;
  }
  static epp_status stateSinkWrite(epp_state_sink_host_ptr s, epp_bytes data) {
    auto* sink = reinterpret_cast<fake_detail::StateSink*>(s);
    if (sink == nullptr || (data.ptr == nullptr && data.len > 0)) return EPP_ERR_INVALID_ARGUMENT;
    if (data.len > sink->maxBytes - sink->data.size()) {
      sink->overflowed = true;
      return EPP_ERR_OUT_OF_RANGE;
    }
    sink->data.append(reinterpret_cast<const char*>(data.ptr), data.len);
    return EPP_OK;
  }

  static epp_status responseSetHeader(epp_request_host_ptr r, epp_str name, epp_str value) {
    return req(r)->setResponseHeader(sv(name), sv(value));
  }

  static epp_status kvEventsSubscribe(epp_instance_host_ptr i, int32_t port, epp_str topic,
                                      epp_error_host_ptr e) {
    if (port < 1 || port > 65535) {
      errorSet(e, str("kv_events_subscribe: port " + std::to_string(port) + " is not 1-65535"));
      return EPP_ERR_INVALID_ARGUMENT;
    }
    auto* record = reinterpret_cast<fake_detail::InstanceRecord*>(i);
    record->kvPort = port;
    record->kvTopicFilter = std::string(sv(topic));
    return EPP_OK;
  }

  static constexpr epp_host_api kApi{
      sizeof(epp_host_api),
      EPP_ABI_MAJOR,
      EPP_ABI_MINOR,
      &errorSet,
      &log,
      &logEnabled,
      &now,
      &wallTime,
      &paramKind,
      &paramLocation,
      &paramGet,
      &paramSize,
      &paramAt,
      &paramBool,
      &paramInt,
      &paramDouble,
      &paramString,
      &paramDuration,
      &paramBytes,
      &metricRegister,
      &metricSeries,
      &seriesAdd,
      &seriesSet,
      &seriesObserve,
      &requestHeader,
      &requestSetHeader,
      &requestPrefixHashes,
      &requestRandom,
      &requestStateSet,
      &requestStateGet,
      &requestDataPut,
      &requestDataGet,
      &requestPool,
      &sinkAddLora,
      &sinkSetLabel,
      &stateSinkSetFormat,
      &stateSinkWrite,
      &responseSetHeader,
      &kvEventsSubscribe,
  };

  std::string lastError_;
  // Log and metric callbacks may come from several plugin threads at once (request state
  // is per request, and a request is driven by one thread at a time).
  std::mutex mutex_;
  std::vector<LogRecord> logs_;
  std::map<std::string, MetricFamily> metrics_;
  struct MetricHandle {
    MetricFamily* family;
    std::string plugin;
  };
  std::deque<MetricHandle> metricHandles_;
};

}  // namespace epp::testing

#include "epp/testing/fake_instance.h"

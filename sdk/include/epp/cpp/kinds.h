// File: epp/cpp/kinds.h
//
// The plugin kinds as C++ interfaces, and `Plugin`, the optional base that gives an
// instance its name, logging and metrics. A plugin type is a class that
//  - has a constructor `T(const epp::cpp::CreateContext&)` that validates its parameters
//    (throw epp::cpp::Error with the parameter's location on a mistake);
//  - derives from one or more kind interfaces (a detector can also be a Filter);
//  - optionally derives from hook interfaces (PrepareRequestHook, PreRequestHook,
//    ResponseHooks, EndpointHooks, KvEventHooks) and from StateHandover: deriving is what
//    declares the hook.
// Calls on one instance may come from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "epp/cpp/core.h"
#include "epp/cpp/params.h"
#include "epp/cpp/views.h"

namespace epp::cpp {

// What a constructor receives. Valid during construction only (params especially).
class CreateContext {
 public:
  explicit CreateContext(const epp_create_args* args) : args_(args), params_(args->params) {}
  epp_instance_host_ptr instance() const { return args_->instance; }
  std::string_view typeName() const { return view(args_->type_name); }
  std::string_view name() const { return view(args_->instance_name); }
  const Params& params() const { return params_; }
  // Asks eppd to follow every endpoint's KV-event publisher on `port` and call this
  // instance's kvEvents hook (ABI 1.3). Throws Error (EPP_ERR_UNIMPLEMENTED on an older
  // host, EPP_ERR_INVALID_ARGUMENT for a bad port).
  void subscribeKvEvents(int port, std::string_view topicFilter) const {
    const epp_host_api& h = host();
    if (!EPP_HAS_FIELD(&h, epp_host_api, kv_events_subscribe) || !h.kv_events_subscribe) {
      throw Error("this eppd does not deliver KV-cache events (ABI 1.3)", EPP_ERR_UNIMPLEMENTED);
    }
    if (h.kv_events_subscribe(args_->instance, static_cast<int32_t>(port), str(topicFilter),
                              nullptr) != EPP_OK) {
      throw Error("kv_events_subscribe: port " + std::to_string(port) + " is not 1-65535",
                  EPP_ERR_INVALID_ARGUMENT);
    }
  }

 private:
  const epp_create_args* args_;
  Params params_;
};

// A metric series: resolve once, update on the hot path.
class Series {
 public:
  Series() = default;
  explicit Series(epp_series_host_ptr s) : s_(s) {}
  void add(double v) const {
    if (s_) host().series_add(s_, v);
  }
  void set(double v) const {
    if (s_) host().series_set(s_, v);
  }
  void observe(double v) const {
    if (s_) host().series_observe(s_, v);
  }

 private:
  epp_series_host_ptr s_ = nullptr;
};

class Metric {
 public:
  Metric() = default;
  explicit Metric(epp_metric_host_ptr m) : m_(m) {}
  // The series for these label values (order of the registered label names).
  Series series(std::initializer_list<std::string_view> labelValues = {}) const {
    std::vector<epp_str> values;
    for (auto v : labelValues) values.push_back(str(v));
    epp_series_host_ptr s = nullptr;
    if (host().metric_series(m_, values.data(), values.size(), &s) != EPP_OK) {
      throw Error("metric_series: wrong label values", EPP_ERR_INVALID_ARGUMENT);
    }
    return Series(s);
  }

 private:
  epp_metric_host_ptr m_ = nullptr;
};

class Plugin {
 public:
  explicit Plugin(const CreateContext& ctx) : instance_(ctx.instance()), name_(ctx.name()) {}
  virtual ~Plugin() = default;
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  const std::string& name() const { return name_; }
  epp_instance_host_ptr instanceHandle() const { return instance_; }

  void log(LogLevel level, std::string_view message, const Request* request = nullptr) const {
    cpp::log(instance_, request ? request->handle() : nullptr, level, message);
  }

  // Per-request state of this instance.
  template <class T>
  T* state(const Request& request) const {
    return request.state<T>(instance_);
  }
  template <class T>
  T* setState(const Request& request, std::unique_ptr<T> state) const {
    return request.setState<T>(instance_, std::move(state));
  }

 protected:
  // Registers a metric family; call from the constructor only.
  Metric registerMetric(epp_metric_type type, std::string_view name, std::string_view help,
                        std::initializer_list<std::string_view> labelNames = {},
                        std::initializer_list<double> buckets = {}) const;

 private:
  epp_instance_host_ptr instance_;
  std::string name_;
};

// ---- scheduling kinds -----------------------------------------------------------------

class Filter {
 public:
  virtual ~Filter() = default;
  // keep[i] starts at 1; clear it to drop candidate i.
  virtual void filter(const Request& request, const EndpointList& candidates,
                      std::span<uint8_t> keep) = 0;
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  // scores[i] starts at 0; write a value in [0, 1] for candidate i.
  virtual void score(const Request& request, const EndpointList& candidates,
                     std::span<double> scores) = 0;
  // A type may declare `static constexpr epp_scorer_category kCategory = ...;`
  // (default EPP_SCORER_DISTRIBUTION).
};

class Picker {
 public:
  virtual ~Picker() = default;
  // Writes candidate indices (primary first) into `picked`; returns how many.
  virtual size_t pick(const Request& request, const EndpointList& candidates,
                      std::span<const double> scores, std::span<uint32_t> picked) = 0;
};

class ProfileHandler {
 public:
  virtual ~ProfileHandler() = default;
  // Sets run[i] = 1 for each profile (index into names) to run next; none ends the loop.
  virtual void pickProfiles(const Request& request, std::span<const std::string_view> names,
                            const ProfileResults& results, std::span<uint8_t> run) = 0;
  // Index into `results` of the primary result.
  virtual size_t processResults(const Request& request, const ProfileResults& results) = 0;
};

// ---- flow-control kinds ---------------------------------------------------------------

class OrderingPolicy {
 public:
  virtual ~OrderingPolicy() = default;
  // True when a dispatches before b. Must not throw.
  virtual bool less(const QueuedRequest& a, const QueuedRequest& b) const = 0;
  // A type may declare `static constexpr uint32_t kQueueCapabilities = ...;`
  // (default EPP_QUEUE_CAP_PRIORITY).
};

// Base of a fairness policy's per-band state.
class BandState {
 public:
  virtual ~BandState() = default;
};

class FairnessPolicy {
 public:
  virtual ~FairnessPolicy() = default;
  // State for one priority band (nullptr when the policy keeps none).
  virtual std::unique_ptr<BandState> newBandState(int32_t /*priority*/) { return nullptr; }
  // Index into `flows` of the flow that dispatches next.
  virtual size_t pickFlow(BandState* state, const FlowList& flows) = 0;
};

class SaturationDetector {
 public:
  virtual ~SaturationDetector() = default;
  // >= 1.0 means saturated.
  virtual double saturation(const EndpointList& pool, int64_t nowNs) = 0;
};

// ---- routing --------------------------------------------------------------------------

class TrafficSplitter {
 public:
  virtual ~TrafficSplitter() = default;
  // Index into `targets` of the chosen target.
  virtual size_t split(const Request& request, const SplitTargets& targets) = 0;
};

// ---- backend protocol adapter ---------------------------------------------------------

struct BackendInfo {
  std::string metricsPath = "/metrics";
  std::string healthPath = "/health";
  std::string modelsPath = "/v1/models";
};

// Where parseMetrics writes what it read.
class MetricsOut {
 public:
  MetricsOut(epp_endpoint_metrics* out, epp_metrics_sink_host_ptr sink) : out_(out), sink_(sink) {}
  void setWaiting(int64_t v) { set(out_->waiting_requests, v, EPP_METRICS_HAS_WAITING); }
  void setRunning(int64_t v) { set(out_->running_requests, v, EPP_METRICS_HAS_RUNNING); }
  void setKvCacheUsage(double v) { set(out_->kv_cache_usage, v, EPP_METRICS_HAS_KV_USAGE); }
  void setMaxLoras(int64_t v) { set(out_->max_loras, v, EPP_METRICS_HAS_MAX_LORAS); }
  void setCacheBlockSize(int64_t v) {
    set(out_->cache_block_size, v, EPP_METRICS_HAS_CACHE_BLOCK_SIZE);
  }
  void setCacheNumBlocks(int64_t v) {
    set(out_->cache_num_blocks, v, EPP_METRICS_HAS_CACHE_NUM_BLOCKS);
  }
  void addActiveLora(std::string_view name) { addLora(EPP_LORA_ACTIVE, name); }
  void addWaitingLora(std::string_view name) { addLora(EPP_LORA_WAITING, name); }
  void setLabel(std::string_view key, std::string_view value) {
    host().sink_set_label(sink_, str(key), str(value));
  }

 private:
  template <class V>
  void set(V& field, V v, uint32_t bit) {
    field = v;
    out_->present |= bit;
  }
  void addLora(epp_lora_list list, std::string_view name) {
    out_->present |= EPP_METRICS_HAS_LORAS;
    host().sink_add_lora(sink_, list, str(name));
  }
  epp_endpoint_metrics* out_;
  epp_metrics_sink_host_ptr sink_;
};

class BackendAdapter {
 public:
  virtual ~BackendAdapter() = default;
  // Returned by reference: the strings must live as long as the instance.
  virtual const BackendInfo& info() const = 0;
  // Throw Error on malformed input.
  virtual void parseMetrics(std::string_view body, std::string_view contentType,
                            MetricsOut& out) = 0;
  virtual epp_health checkHealth(int32_t httpStatus, std::string_view body) = 0;
};

// Optional: engine auto-detection from a /v1/models body.
class BackendDetection {
 public:
  virtual ~BackendDetection() = default;
  virtual bool detect(std::string_view modelsBody) = 0;
};

// ---- hooks ----------------------------------------------------------------------------

class PrepareRequestHook {
 public:
  virtual ~PrepareRequestHook() = default;
  virtual void prepareRequest(const Request& request, const EndpointList& candidates) = 0;
};

class PreRequestHook {
 public:
  virtual ~PreRequestHook() = default;
  virtual void preRequest(const Request& request, const SchedulingResult& result) = 0;
};

class ResponseHooks {
 public:
  virtual ~ResponseHooks() = default;
  virtual void responseHeaders(const Request& /*request*/, const Response& /*response*/) {}
  virtual void responseBody(const Request& /*request*/, const Response& /*response*/,
                            std::string_view /*chunk*/, bool /*endOfStream*/) {}
  // `response` is null when none arrived.
  virtual void requestComplete(const Request& /*request*/, const Response* /*response*/,
                               epp_request_outcome /*outcome*/) {}
};

class EndpointHooks {
 public:
  virtual ~EndpointHooks() = default;
  virtual void endpointsAdded(const EndpointList& /*added*/) {}
  virtual void endpointsRemoved(std::span<const uint64_t> /*endpointIds*/) {}
};

class KvEventHooks {
 public:
  virtual ~KvEventHooks() = default;
  virtual void kvEvents(const KvEventBatch& batch, bool resync) = 0;
};

// ---- state hand-over (ABI 1.1) --------------------------------------------------------

// What an instance hands to its successor: a tag naming the encoding and its version
// ("prefix-index/v1"), and the bytes. Plain bytes: the successor may be another version of
// the library, with other classes and layouts, so never pointers or objects.
struct ExportedState {
  std::string format;
  std::string data;
};

// Optional: hand state to the instance that replaces this one when eppd re-creates it (same
// name and type, new parameters or a new version of the library). See
// epp/abi_state_handover.h for the contract.
class StateHandover {
 public:
  virtual ~StateHandover() = default;
  // Called on the old instance, which may be serving requests at the same time: take the
  // locks those calls take. std::nullopt when there is nothing to hand over. Must not
  // change the instance.
  virtual std::optional<ExportedState> exportState() = 0;
  // Called on the new instance after its constructor and before any other call. Return
  // false for a format this version does not read; throw cpp::Error("why") for data it
  // rejects. In both cases the instance must stay as constructed (parse first, then apply).
  virtual bool importState(std::string_view format, std::string_view data) = 0;
};

inline Metric Plugin::registerMetric(epp_metric_type type, std::string_view name,
                                     std::string_view help,
                                     std::initializer_list<std::string_view> labelNames,
                                     std::initializer_list<double> buckets) const {
  std::vector<epp_str> labels;
  for (auto l : labelNames) labels.push_back(str(l));
  std::vector<double> bounds(buckets);
  epp_metric_desc desc{};
  desc.struct_size = sizeof desc;
  desc.type = type;
  desc.name = str(name);
  desc.help = str(help);
  desc.label_names = labels.data();
  desc.label_names_count = labels.size();
  desc.buckets = bounds.data();
  desc.buckets_count = bounds.size();
  epp_metric_host_ptr metric = nullptr;
  if (host().metric_register(instance_, &desc, &metric, nullptr) != EPP_OK) {
    throw Error("cannot register metric " + std::string(name) +
                " (name taken with another type or labels?)");
  }
  return Metric(metric);
}

}  // namespace epp::cpp

// File: epp/testing/fake_instance.h
//
// One plugin instance created by the FakeHost, with a method per ABI call that builds the
// arguments the host would pass and returns the plugin's outputs. The status of the last
// call is in status(). Included by fake_host.h.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "epp/testing/fake_host.h"

namespace epp::testing {

struct FakeProfileResult {
  std::string name{};
  bool ok = true;
  std::vector<const epp_endpoint_view*> targets{};
};

struct FakeFlow {
  std::string fairnessId = "default-flow";
  int32_t priority = 0;
  size_t queued = 1;
  int64_t bytes = 0;
  const epp_queued_request* head = nullptr;
  int64_t lastDispatchNs = 0;
  uint64_t dispatched = 0;
};

struct FakeResponse {
  int32_t status = 200;
  std::vector<std::pair<std::string, std::string>> headers{};
  const epp_endpoint_view* endpoint = nullptr;
  bool stream = false;
  epp_usage usage{-1, -1, -1, -1};
  // Monotonic times (FakeHost::nowNs clock) of the first response byte and of completion; 0
  // while unknown.
  int64_t firstByteNs = 0;
  int64_t completedNs = 0;
};

// A queued request for ordering-policy tests (the request view must outlive it).
inline epp_queued_request makeQueued(const FakeRequest& r, uint64_t sequence, int64_t enqueuedNs,
                                     int64_t deadlineNs = INT64_MAX, int64_t bytes = 0) {
  return epp_queued_request{sizeof(epp_queued_request),
                            r.view()->priority,
                            r.view(),
                            sequence,
                            enqueuedNs,
                            deadlineNs,
                            bytes};
}

// What an instance's export_state produced.
struct FakeStateExport {
  epp_status status = EPP_OK;
  std::string format{};
  std::string data{};
  std::string error{};  // the plugin's message, when it gave one
};

// The outcome of FakeHost::handOver, classified as eppd classifies it (and counts it in
// eppd_plugin_state_handover_total{result}).
struct FakeHandover {
  enum Result {
    kNotOffered,  // one side does not offer the hook, or the types differ: nothing called
    kNothing,     // export_state: EPP_ERR_NOT_FOUND
    kImported,    // import_state: EPP_OK
    kRefused,     // import_state: EPP_ERR_UNIMPLEMENTED or EPP_ERR_INVALID_ARGUMENT
    kFailed,      // any other status, no format, or the size limit
  };
  Result result = kNotOffered;
  std::string format{};
  size_t bytes = 0;
  epp_status status = EPP_OK;  // of the call that decided the result
  std::string error{};         // the plugin's message, or why nothing was called
};

class FakeInstance {
 public:
  FakeInstance(const epp_type_descriptor* type, std::unique_ptr<fake_detail::InstanceRecord> rec,
               epp_instance_plugin_ptr self)
      : type_(type), record_(std::move(rec)), self_(self) {}
  ~FakeInstance() {
    for (auto& [priority, state] : bands_) type_->fairness_policy->band_state_destroy(self_, state);
    type_->destroy(self_);
  }
  FakeInstance(const FakeInstance&) = delete;
  FakeInstance& operator=(const FakeInstance&) = delete;

  const epp_type_descriptor* type() const { return type_; }
  epp_instance_plugin_ptr raw() const { return self_; }
  epp_instance_host_ptr hostHandle() const {
    return reinterpret_cast<epp_instance_host_ptr>(record_.get());
  }
  epp_status status() const { return status_; }

  // ---- scheduling ----
  std::vector<uint8_t> filter(FakeRequest& r, const epp_endpoint_list* c) {
    std::vector<uint8_t> keep(c->count, 1);
    status_ = need(type_->filter, "filter")->filter(self_, r.view(), c, keep.data());
    return keep;
  }
  std::vector<uint8_t> filter(FakeRequest& r, const EndpointSet& s) { return filter(r, s.list()); }

  std::vector<double> score(FakeRequest& r, const epp_endpoint_list* c) {
    std::vector<double> scores(c->count, 0.0);
    status_ = need(type_->scorer, "scorer")->score(self_, r.view(), c, scores.data());
    return scores;
  }
  std::vector<double> score(FakeRequest& r, const EndpointSet& s) { return score(r, s.list()); }

  std::vector<uint32_t> pick(FakeRequest& r, const epp_endpoint_list* c,
                             const std::vector<double>& scores) {
    std::vector<uint32_t> picked(c->count, 0);
    size_t n = picked.size();
    status_ =
        need(type_->picker, "picker")->pick(self_, r.view(), c, scores.data(), picked.data(), &n);
    picked.resize(status_ == EPP_OK ? n : 0);
    return picked;
  }
  std::vector<uint32_t> pick(FakeRequest& r, const EndpointSet& s,
                             const std::vector<double>& scores) {
    return pick(r, s.list(), scores);
  }

  std::vector<uint8_t> pickProfiles(FakeRequest& r, const std::vector<std::string>& names,
                                    const std::vector<FakeProfileResult>& results) {
    std::vector<epp_str> nameViews;
    for (const auto& n : names) nameViews.push_back({n.data(), n.size()});
    Results res(results);
    std::vector<uint8_t> run(names.size(), 0);
    status_ = need(type_->profile_handler, "profile handler")
                  ->pick_profiles(self_, r.view(), nameViews.data(), nameViews.size(),
                                  res.pointers.data(), res.pointers.size(), run.data());
    return run;
  }
  uint32_t processResults(FakeRequest& r, const std::vector<FakeProfileResult>& results) {
    Results res(results);
    uint32_t primary = UINT32_MAX;
    status_ =
        need(type_->profile_handler, "profile handler")
            ->process_results(self_, r.view(), res.pointers.data(), res.pointers.size(), &primary);
    return primary;
  }

  // ---- flow control ----
  bool less(const epp_queued_request& a, const epp_queued_request& b) {
    return need(type_->ordering_policy, "ordering policy")->less(self_, &a, &b);
  }
  // Band state is created on first use per priority and destroyed with the instance.
  uint32_t pickFlow(int32_t priority, const std::vector<FakeFlow>& flows) {
    const auto* t = need(type_->fairness_policy, "fairness policy");
    auto it = bands_.find(priority);
    if (it == bands_.end()) {
      auto* st = t->band_state_new ? t->band_state_new(self_, priority) : nullptr;
      it = bands_.emplace(priority, st).first;
    }
    std::vector<epp_flow_view> views;
    views.reserve(flows.size());
    for (const auto& f : flows) {
      views.push_back({sizeof(epp_flow_view),
                       f.priority,
                       {f.fairnessId.data(), f.fairnessId.size()},
                       f.queued,
                       f.bytes,
                       f.head,
                       f.lastDispatchNs,
                       f.dispatched});
    }
    std::vector<const epp_flow_view*> ptrs;
    for (const auto& v : views) ptrs.push_back(&v);
    uint32_t picked = UINT32_MAX;
    status_ = t->pick_flow(self_, it->second, ptrs.data(), ptrs.size(), &picked);
    return picked;
  }
  double saturation(const epp_endpoint_list* pool, int64_t nowNs) {
    double out = std::nan("");
    status_ = need(type_->saturation_detector, "saturation detector")
                  ->saturation(self_, pool, nowNs, &out);
    return out;
  }

  // ---- routing ----
  uint32_t split(FakeRequest& r, const std::vector<std::pair<std::string, double>>& targets) {
    std::vector<epp_split_target> views;
    for (const auto& [model, weight] : targets) {
      views.push_back({sizeof(epp_split_target), {model.data(), model.size()}, weight});
    }
    std::vector<const epp_split_target*> ptrs;
    for (const auto& v : views) ptrs.push_back(&v);
    uint32_t chosen = UINT32_MAX;
    status_ = need(type_->traffic_splitter, "traffic splitter")
                  ->split(self_, r.view(), ptrs.data(), ptrs.size(), &chosen);
    return chosen;
  }

  // ---- backend adapter ----
  epp_backend_info info() {
    epp_backend_info out{sizeof(epp_backend_info), {}, {}, {}};
    status_ = need(type_->backend_adapter, "backend adapter")->info(self_, &out);
    return out;
  }
  ParsedMetrics parseMetrics(const std::string& body,
                             const std::string& contentType = "text/plain; version=0.0.4") {
    ParsedMetrics out;
    out.metrics.struct_size = sizeof out.metrics;
    fake_detail::MetricsSink sink{&out};
    fake_detail::ErrorSink error;
    status_ =
        need(type_->backend_adapter, "backend adapter")
            ->parse_metrics(self_, {reinterpret_cast<const uint8_t*>(body.data()), body.size()},
                            {contentType.data(), contentType.size()}, &out.metrics,
                            reinterpret_cast<epp_metrics_sink_host_ptr>(&sink),
                            reinterpret_cast<epp_error_host_ptr>(&error));
    out.status = status_;
    out.error = error.message;
    return out;
  }
  epp_health checkHealth(int32_t httpStatus, const std::string& body = "") {
    epp_health h = EPP_HEALTH_UNKNOWN;
    status_ = need(type_->backend_adapter, "backend adapter")
                  ->check_health(self_, httpStatus,
                                 {reinterpret_cast<const uint8_t*>(body.data()), body.size()}, &h);
    return h;
  }
  bool detect(const std::string& modelsBody) {
    const auto* t = need(type_->backend_adapter, "backend adapter");
    if (!t->detect) throw std::logic_error("adapter offers no detect");
    bool matches = false;
    status_ = t->detect(
        self_, {reinterpret_cast<const uint8_t*>(modelsBody.data()), modelsBody.size()}, &matches);
    return matches;
  }

  // ---- hooks (throw std::logic_error when the plugin does not offer the hook) ----
  void prepareRequest(FakeRequest& r, const epp_endpoint_list* c) {
    status_ = hook(requestHooks(), &epp_request_hooks_v1::prepare_request)(self_, r.view(), c);
  }
  void preRequest(FakeRequest& r, const std::vector<FakeProfileResult>& results,
                  uint32_t primary = 0) {
    Results res(results);
    epp_scheduling_result s{sizeof s, primary, res.pointers.data(), res.pointers.size()};
    hook(requestHooks(), &epp_request_hooks_v1::pre_request)(self_, r.view(), &s);
  }
  void responseHeaders(FakeRequest& r, const FakeResponse& resp) {
    ResponseView v(resp);
    hook(requestHooks(), &epp_request_hooks_v1::response_headers)(self_, r.view(), &v.view);
  }
  void responseBody(FakeRequest& r, const FakeResponse& resp, const std::string& chunk, bool eos) {
    ResponseView v(resp);
    hook(requestHooks(), &epp_request_hooks_v1::response_body)(
        self_, r.view(), &v.view, {reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()},
        eos);
  }
  void requestComplete(FakeRequest& r, const FakeResponse* resp, epp_request_outcome outcome) {
    std::unique_ptr<ResponseView> v;
    if (resp) v = std::make_unique<ResponseView>(*resp);
    hook(requestHooks(), &epp_request_hooks_v1::request_complete)(self_, r.view(),
                                                                  v ? &v->view : nullptr, outcome);
  }
  void endpointsAdded(const epp_endpoint_list* added) {
    hook(dataHooks(), &epp_data_hooks_v1::endpoints_added)(self_, added);
  }
  void endpointsRemoved(const std::vector<uint64_t>& ids) {
    hook(dataHooks(), &epp_data_hooks_v1::endpoints_removed)(self_, ids.data(), ids.size());
  }
  // What the instance asked for with kv_events_subscribe during create: {port, topic
  // filter}, port 0 when it did not ask.
  std::pair<int, std::string> kvSubscription() const {
    return {record_->kvPort, record_->kvTopicFilter};
  }
  void kvEvents(const epp_kv_event_batch& batch, bool resync) {
    hook(dataHooks(), &epp_data_hooks_v1::kv_events)(self_, &batch, resync);
  }

  // ---- state hand-over (ABI 1.1; see also FakeHost::handOver) ----
  // The type's table when it is complete (both functions, within struct_size), else null:
  // a type built against ABI 1.0 has none.
  const epp_state_handover_v1* stateHandover() const {
    if (!EPP_HAS_FIELD(type_, epp_type_descriptor, state_handover)) return nullptr;
    const epp_state_handover_v1* t = type_->state_handover;
    if (t == nullptr || !EPP_HAS_FIELD(t, epp_state_handover_v1, import_state)) return nullptr;
    return t->export_state != nullptr && t->import_state != nullptr ? t : nullptr;
  }
  bool offersStateHandover() const { return stateHandover() != nullptr; }
  // Calls export_state (throws std::logic_error when the type does not offer it).
  FakeStateExport exportState(size_t maxBytes = SIZE_MAX) {
    const auto* t = need(stateHandover(), "state-handover provider");
    fake_detail::StateSink sink;
    sink.maxBytes = maxBytes;
    fake_detail::ErrorSink error;
    FakeStateExport out;
    out.status = status_ = t->export_state(self_, reinterpret_cast<epp_state_sink_host_ptr>(&sink),
                                           reinterpret_cast<epp_error_host_ptr>(&error));
    if (sink.overflowed && out.status == EPP_OK) out.status = EPP_ERR_OUT_OF_RANGE;
    out.format = std::move(sink.format);
    out.data = std::move(sink.data);
    out.error = std::move(error.message);
    return out;
  }
  // Calls import_state; the plugin's message, if any, goes to `error`.
  epp_status importState(const std::string& format, const std::string& data,
                         std::string* error = nullptr) {
    const auto* t = need(stateHandover(), "state-handover provider");
    fake_detail::ErrorSink sink;
    status_ = t->import_state(self_, {format.data(), format.size()},
                              {reinterpret_cast<const uint8_t*>(data.data()), data.size()},
                              reinterpret_cast<epp_error_host_ptr>(&sink));
    if (error != nullptr) *error = sink.message;
    return status_;
  }
  const std::string& typeName() const { return record_->type; }
  const std::string& name() const { return record_->name; }

 private:
  template <class Table>
  static const Table* need(const Table* t, const char* kind) {
    if (t == nullptr) throw std::logic_error(std::string("plugin type is not a ") + kind);
    return t;
  }
  const epp_request_hooks_v1* requestHooks() const {
    return need(type_->request_hooks, "request-hooks provider");
  }
  const epp_data_hooks_v1* dataHooks() const {
    return need(type_->data_hooks, "data-hooks provider");
  }
  template <class Table, class Fn>
  static Fn hook(const Table* t, Fn Table::*member) {
    Fn fn = t->*member;
    if (fn == nullptr) throw std::logic_error("plugin does not offer this hook");
    return fn;
  }

  // epp_profile_result views over FakeProfileResults.
  struct Results {
    explicit Results(const std::vector<FakeProfileResult>& in) {
      for (const auto& r : in) {
        views.push_back({sizeof(epp_profile_result),
                         r.ok,
                         {r.name.data(), r.name.size()},
                         r.targets.data(),
                         r.targets.size()});
      }
      for (const auto& v : views) pointers.push_back(&v);
    }
    std::vector<epp_profile_result> views;
    std::vector<const epp_profile_result*> pointers;
  };

  struct ResponseView {
    explicit ResponseView(const FakeResponse& r) {
      for (const auto& [k, v] : r.headers)
        headers.push_back({{k.data(), k.size()}, {v.data(), v.size()}});
      view = {sizeof(epp_response_view),
              r.status,
              headers.data(),
              headers.size(),
              r.endpoint,
              r.stream,
              r.usage,
              r.firstByteNs,
              r.completedNs};
    }
    std::vector<epp_kv> headers;
    epp_response_view view{};
  };

  const epp_type_descriptor* type_;
  std::unique_ptr<fake_detail::InstanceRecord> record_;
  epp_instance_plugin_ptr self_;
  epp_status status_ = EPP_OK;
  std::map<int32_t, epp_band_state_plugin_ptr> bands_;
};

inline FakeHandover FakeHost::handOver(FakeInstance& from, FakeInstance& to) {
  FakeHandover out;
  if (&from == &to) {
    out.error = "one instance";
    return out;
  }
  if (from.typeName() != to.typeName()) {
    out.error = "types differ (" + from.typeName() + " and " + to.typeName() + ")";
    return out;
  }
  if (!from.offersStateHandover() || !to.offersStateHandover()) {
    out.error =
        "'" + (from.offersStateHandover() ? to : from).name() + "' offers no state hand-over";
    return out;
  }
  FakeStateExport exported = from.exportState(maxStateBytes);
  out.status = exported.status;
  out.error = exported.error;
  if (exported.status == EPP_ERR_NOT_FOUND) {
    out.result = FakeHandover::kNothing;
    return out;
  }
  if (exported.status != EPP_OK || exported.format.empty()) {
    if (exported.status == EPP_OK) out.error = "export_state returned EPP_OK without a format";
    out.result = FakeHandover::kFailed;
    return out;
  }
  out.format = exported.format;
  out.bytes = exported.data.size();
  out.status = to.importState(exported.format, exported.data, &out.error);
  if (out.status == EPP_OK) {
    out.result = FakeHandover::kImported;
  } else if (out.status == EPP_ERR_UNIMPLEMENTED || out.status == EPP_ERR_INVALID_ARGUMENT) {
    out.result = FakeHandover::kRefused;
  } else {
    out.result = FakeHandover::kFailed;
  }
  return out;
}

inline std::unique_ptr<FakeInstance> FakeHost::create(const epp_plugin_descriptor* plugin,
                                                      std::string_view type,
                                                      const ParamValue& params, std::string name) {
  lastError_.clear();
  const epp_type_descriptor* t = nullptr;
  for (size_t i = 0; plugin && i < plugin->types_count; ++i) {
    if (type == plugin->types[i]->type_name) t = plugin->types[i];
  }
  if (t == nullptr) {
    lastError_ = "no plugin type " + std::string(type);
    return nullptr;
  }
  auto rec = std::make_unique<fake_detail::InstanceRecord>();
  rec->type = std::string(type);
  rec->name = name.empty() ? std::string(type) : name;
  auto tree = buildTree(params, "params");
  fake_detail::ErrorSink error;
  epp_create_args args{sizeof args,
                       reinterpret_cast<epp_instance_host_ptr>(rec.get()),
                       {rec->type.data(), rec->type.size()},
                       {rec->name.data(), rec->name.size()},
                       handle(tree.get())};
  epp_instance_plugin_ptr self = t->create(&args, reinterpret_cast<epp_error_host_ptr>(&error));
  if (self == nullptr) {
    lastError_ = error.message.empty() ? "create returned NULL" : error.message;
    return nullptr;
  }
  return std::make_unique<FakeInstance>(t, std::move(rec), self);
}

}  // namespace epp::testing

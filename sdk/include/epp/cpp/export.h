// File: epp/cpp/export.h
//
// Turns C++ plugin classes into the ABI's descriptors. Every trampoline is noexcept: an
// exception from plugin code is caught here, logged with the instance and request, and
// becomes a status code (EPP_ERR_INTERNAL, or the status of an epp::cpp::Error).
//
//   EPP_PLUGIN("my-plugins", "1.0.0", "What the library holds",
//              EPP_TYPE(MyScorer, "my-scorer", "Prefers idle endpoints"),
//              EPP_TYPE(MyFilter, "my-filter", "Drops busy endpoints"));
//
// EPP_PLUGIN may appear once per library. To also link a plugin into test binaries, define
// its entry with EPP_PLUGIN_ENTRY_FN(fnName, ...) (exports nothing) and export it from the
// library alone with EPP_PLUGIN_EXPORT(fnName).
#pragma once

#include <array>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "epp/cpp/kinds.h"

namespace epp::cpp::detail {

template <class T>
T* self(epp_instance_plugin_ptr p) {
  return reinterpret_cast<T*>(p);
}

template <class T>
epp_instance_host_ptr instanceOf(epp_instance_plugin_ptr p) {
  if constexpr (std::is_base_of_v<Plugin, T>) {
    return self<T>(p)->instanceHandle();
  } else {
    return nullptr;
  }
}

inline void report(epp_instance_host_ptr instance, epp_request_host_ptr request, const char* what,
                   const char* message) noexcept {
  try {
    log(instance, request, LogLevel::kError, std::string(what) + " failed: " + message);
  } catch (...) {  // logging must never take the host down
  }
}

// Runs `f`, mapping exceptions to status codes.
template <class T, class F>
epp_status guard(epp_instance_plugin_ptr p, epp_request_host_ptr request, const char* what,
                 F&& f) noexcept {
  try {
    f();
    return EPP_OK;
  } catch (const Error& e) {
    report(instanceOf<T>(p), request, what, e.what());
    return e.status() == EPP_OK ? EPP_ERR_INTERNAL : e.status();
  } catch (const std::exception& e) {
    report(instanceOf<T>(p), request, what, e.what());
    return EPP_ERR_INTERNAL;
  } catch (...) {
    report(instanceOf<T>(p), request, what, "unknown exception");
    return EPP_ERR_INTERNAL;
  }
}

inline epp_request_host_ptr handleOf(const epp_request_view* r) { return r ? r->handle : nullptr; }

// ---- lifecycle ------------------------------------------------------------------------

template <class T>
epp_instance_plugin_ptr create(const epp_create_args* args, epp_error_host_ptr error) noexcept {
  try {
    CreateContext ctx(args);
    auto obj = std::make_unique<T>(ctx);
    ctx.params().finish();  // any parameter the constructor did not read is a mistake
    return reinterpret_cast<epp_instance_plugin_ptr>(obj.release());
  } catch (const std::exception& e) {
    if (detail::g_host) detail::g_host->error_set(error, str(e.what()));
  } catch (...) {
    if (detail::g_host) detail::g_host->error_set(error, str("unknown exception in create"));
  }
  return nullptr;
}

template <class T>
void destroy(epp_instance_plugin_ptr p) noexcept {
  delete self<T>(p);  // destructors must not throw; a throwing one terminates, as in C++
}

// ---- scheduling -----------------------------------------------------------------------

template <class T>
epp_status filter(epp_instance_plugin_ptr p, const epp_request_view* r, const epp_endpoint_list* c,
                  uint8_t* keep) noexcept {
  return guard<T>(p, handleOf(r), "filter", [&] {
    static_cast<Filter*>(self<T>(p))->filter(Request(r), EndpointList(c), {keep, c->count});
  });
}

template <class T>
epp_status score(epp_instance_plugin_ptr p, const epp_request_view* r, const epp_endpoint_list* c,
                 double* scores) noexcept {
  return guard<T>(p, handleOf(r), "score", [&] {
    static_cast<Scorer*>(self<T>(p))->score(Request(r), EndpointList(c), {scores, c->count});
  });
}

template <class T>
epp_status pick(epp_instance_plugin_ptr p, const epp_request_view* r, const epp_endpoint_list* c,
                const double* scores, uint32_t* picked, size_t* count) noexcept {
  return guard<T>(p, handleOf(r), "pick", [&] {
    size_t n = static_cast<Picker*>(self<T>(p))
                   ->pick(Request(r), EndpointList(c), {scores, c->count}, {picked, *count});
    if (n > *count) throw Error("picker returned more endpoints than it has room for");
    *count = n;
  });
}

template <class T>
epp_status pickProfiles(epp_instance_plugin_ptr p, const epp_request_view* r, const epp_str* names,
                        size_t namesCount, const epp_profile_result* const* results,
                        size_t resultsCount, uint8_t* run) noexcept {
  return guard<T>(p, handleOf(r), "pick_profiles", [&] {
    std::vector<std::string_view> nameViews;
    nameViews.reserve(namesCount);
    for (size_t i = 0; i < namesCount; ++i) nameViews.push_back(view(names[i]));
    static_cast<ProfileHandler*>(self<T>(p))
        ->pickProfiles(Request(r), nameViews, ProfileResults(results, resultsCount),
                       {run, namesCount});
  });
}

template <class T>
epp_status processResults(epp_instance_plugin_ptr p, const epp_request_view* r,
                          const epp_profile_result* const* results, size_t resultsCount,
                          uint32_t* primary) noexcept {
  return guard<T>(p, handleOf(r), "process_results", [&] {
    size_t i = static_cast<ProfileHandler*>(self<T>(p))
                   ->processResults(Request(r), ProfileResults(results, resultsCount));
    if (i >= resultsCount) throw Error("primary profile index out of range");
    *primary = static_cast<uint32_t>(i);
  });
}

// ---- flow control ---------------------------------------------------------------------

template <class T>
bool less(epp_instance_plugin_ptr p, const epp_queued_request* a,
          const epp_queued_request* b) noexcept {
  try {
    return static_cast<const OrderingPolicy*>(self<T>(p))->less(QueuedRequest(a), QueuedRequest(b));
  } catch (...) {
    report(instanceOf<T>(p), nullptr, "less", "exception in an ordering policy; using FCFS");
    return a->sequence < b->sequence;
  }
}

template <class T>
epp_band_state_plugin_ptr bandStateNew(epp_instance_plugin_ptr p, int32_t priority) noexcept {
  try {
    return reinterpret_cast<epp_band_state_plugin_ptr>(
        static_cast<FairnessPolicy*>(self<T>(p))->newBandState(priority).release());
  } catch (const std::exception& e) {
    report(instanceOf<T>(p), nullptr, "band_state_new", e.what());
    return nullptr;
  }
}

template <class T>
void bandStateDestroy(epp_instance_plugin_ptr, epp_band_state_plugin_ptr s) noexcept {
  delete reinterpret_cast<BandState*>(s);
}

template <class T>
epp_status pickFlow(epp_instance_plugin_ptr p, epp_band_state_plugin_ptr s,
                    const epp_flow_view* const* flows, size_t count, uint32_t* picked) noexcept {
  return guard<T>(p, nullptr, "pick_flow", [&] {
    size_t i = static_cast<FairnessPolicy*>(self<T>(p))
                   ->pickFlow(reinterpret_cast<BandState*>(s), FlowList(flows, count));
    if (i >= count) throw Error("picked flow index out of range");
    *picked = static_cast<uint32_t>(i);
  });
}

template <class T>
epp_status saturation(epp_instance_plugin_ptr p, const epp_endpoint_list* eps, int64_t now,
                      double* out) noexcept {
  return guard<T>(p, nullptr, "saturation", [&] {
    *out = static_cast<SaturationDetector*>(self<T>(p))->saturation(EndpointList(eps), now);
  });
}

// ---- routing --------------------------------------------------------------------------

template <class T>
epp_status split(epp_instance_plugin_ptr p, const epp_request_view* r,
                 const epp_split_target* const* targets, size_t count, uint32_t* chosen) noexcept {
  return guard<T>(p, handleOf(r), "split", [&] {
    size_t i =
        static_cast<TrafficSplitter*>(self<T>(p))->split(Request(r), SplitTargets(targets, count));
    if (i >= count) throw Error("split target index out of range");
    *chosen = static_cast<uint32_t>(i);
  });
}

// ---- backend adapter ------------------------------------------------------------------

template <class T>
epp_status adapterInfo(epp_instance_plugin_ptr p, epp_backend_info* out) noexcept {
  return guard<T>(p, nullptr, "info", [&] {
    const BackendInfo& info = static_cast<const BackendAdapter*>(self<T>(p))->info();
    out->metrics_path = str(info.metricsPath);
    out->health_path = str(info.healthPath);
    out->models_path = str(info.modelsPath);
  });
}

template <class T>
epp_status parseMetrics(epp_instance_plugin_ptr p, epp_bytes body, epp_str contentType,
                        epp_endpoint_metrics* out, epp_metrics_sink_host_ptr sink,
                        epp_error_host_ptr error) noexcept {
  // Parse errors are expected input, not plugin faults: report them through `error`.
  try {
    MetricsOut m(out, sink);
    static_cast<BackendAdapter*>(self<T>(p))->parseMetrics(view(body), view(contentType), m);
    return EPP_OK;
  } catch (const Error& e) {
    host().error_set(error, str(e.what()));
    return e.status() == EPP_OK ? EPP_ERR_INTERNAL : e.status();
  } catch (const std::exception& e) {
    host().error_set(error, str(e.what()));
    return EPP_ERR_INTERNAL;
  } catch (...) {
    host().error_set(error, str("unknown exception in parse_metrics"));
    return EPP_ERR_INTERNAL;
  }
}

template <class T>
epp_status checkHealth(epp_instance_plugin_ptr p, int32_t status, epp_bytes body,
                       epp_health* out) noexcept {
  return guard<T>(p, nullptr, "check_health", [&] {
    *out = static_cast<BackendAdapter*>(self<T>(p))->checkHealth(status, view(body));
  });
}

template <class T>
epp_status detect(epp_instance_plugin_ptr p, epp_bytes body, bool* matches) noexcept {
  return guard<T>(p, nullptr, "detect", [&] {
    *matches = static_cast<BackendDetection*>(self<T>(p))->detect(view(body));
  });
}

// ---- hooks ----------------------------------------------------------------------------

template <class T>
epp_status prepareRequest(epp_instance_plugin_ptr p, const epp_request_view* r,
                          const epp_endpoint_list* c) noexcept {
  return guard<T>(p, handleOf(r), "prepare_request", [&] {
    static_cast<PrepareRequestHook*>(self<T>(p))->prepareRequest(Request(r), EndpointList(c));
  });
}

template <class T>
void preRequest(epp_instance_plugin_ptr p, const epp_request_view* r,
                const epp_scheduling_result* s) noexcept {
  guard<T>(p, handleOf(r), "pre_request", [&] {
    static_cast<PreRequestHook*>(self<T>(p))->preRequest(Request(r), SchedulingResult(s));
  });
}

template <class T>
void responseHeaders(epp_instance_plugin_ptr p, const epp_request_view* r,
                     const epp_response_view* resp) noexcept {
  guard<T>(p, handleOf(r), "response_headers", [&] {
    static_cast<ResponseHooks*>(self<T>(p))->responseHeaders(Request(r), Response(resp));
  });
}

template <class T>
void responseBody(epp_instance_plugin_ptr p, const epp_request_view* r,
                  const epp_response_view* resp, epp_bytes chunk, bool eos) noexcept {
  guard<T>(p, handleOf(r), "response_body", [&] {
    static_cast<ResponseHooks*>(self<T>(p))
        ->responseBody(Request(r), Response(resp), view(chunk), eos);
  });
}

template <class T>
void requestComplete(epp_instance_plugin_ptr p, const epp_request_view* r,
                     const epp_response_view* resp, epp_request_outcome outcome) noexcept {
  guard<T>(p, handleOf(r), "request_complete", [&] {
    std::optional<Response> response;
    if (resp) response.emplace(resp);
    static_cast<ResponseHooks*>(self<T>(p))
        ->requestComplete(Request(r), response ? &*response : nullptr, outcome);
  });
}

template <class T>
void endpointsAdded(epp_instance_plugin_ptr p, const epp_endpoint_list* added) noexcept {
  guard<T>(p, nullptr, "endpoints_added",
           [&] { static_cast<EndpointHooks*>(self<T>(p))->endpointsAdded(EndpointList(added)); });
}

template <class T>
void endpointsRemoved(epp_instance_plugin_ptr p, const uint64_t* ids, size_t count) noexcept {
  guard<T>(p, nullptr, "endpoints_removed", [&] {
    static_cast<EndpointHooks*>(self<T>(p))->endpointsRemoved({ids, count});
  });
}

template <class T>
void kvEvents(epp_instance_plugin_ptr p, const epp_kv_event_batch* b, bool resync) noexcept {
  guard<T>(p, nullptr, "kv_events",
           [&] { static_cast<KvEventHooks*>(self<T>(p))->kvEvents(KvEventBatch(b), resync); });
}

// ---- state hand-over ------------------------------------------------------------------

// Runs `f` for a call that reports its errors through `error` (not the log): the host
// logs the outcome with the message.
template <class F>
epp_status withErrorSink(epp_error_host_ptr error, const char* what, F&& f) noexcept {
  auto set = [&](const std::string& message) noexcept {
    try {
      if (detail::g_host) detail::g_host->error_set(error, str(message));
    } catch (...) {
    }
  };
  try {
    return f();
  } catch (const Error& e) {
    set(e.what());
    return e.status() == EPP_OK ? EPP_ERR_INTERNAL : e.status();
  } catch (const std::exception& e) {
    set(e.what());
    return EPP_ERR_INTERNAL;
  } catch (...) {
    set(std::string("unknown exception in ") + what);
    return EPP_ERR_INTERNAL;
  }
}

template <class T>
epp_status exportState(epp_instance_plugin_ptr p, epp_state_sink_host_ptr sink,
                       epp_error_host_ptr error) noexcept {
  return withErrorSink(error, "export_state", [&]() -> epp_status {
    const epp_host_api& h = host();
    // Only a 1.1 host calls this; checked all the same (VERSIONING.md, rule 3).
    if (!EPP_HAS_FIELD(&h, epp_host_api, state_sink_write)) return EPP_ERR_UNIMPLEMENTED;
    std::optional<ExportedState> state = static_cast<StateHandover*>(self<T>(p))->exportState();
    if (!state) return EPP_ERR_NOT_FOUND;
    if (state->format.empty()) {
      throw Error("exportState returned an empty format", EPP_ERR_INTERNAL);
    }
    epp_status status = h.state_sink_set_format(sink, str(state->format));
    if (status != EPP_OK) {
      throw Error("the host refused the format '" + state->format + "'", status);
    }
    epp_bytes data{reinterpret_cast<const uint8_t*>(state->data.data()), state->data.size()};
    status = h.state_sink_write(sink, data);
    if (status != EPP_OK) {
      throw Error("the host refused " + std::to_string(state->data.size()) + " bytes of state",
                  status);
    }
    return EPP_OK;
  });
}

template <class T>
epp_status importState(epp_instance_plugin_ptr p, epp_str format, epp_bytes data,
                       epp_error_host_ptr error) noexcept {
  return withErrorSink(error, "import_state", [&]() -> epp_status {
    if (!static_cast<StateHandover*>(self<T>(p))->importState(view(format), view(data))) {
      throw Error("format '" + std::string(view(format)) + "' is not one this version reads",
                  EPP_ERR_UNIMPLEMENTED);
    }
    return EPP_OK;
  });
}

// ---- descriptors ----------------------------------------------------------------------

template <class T>
constexpr epp_scorer_category scorerCategory() {
  if constexpr (requires { T::kCategory; }) {
    return T::kCategory;
  } else {
    return EPP_SCORER_DISTRIBUTION;
  }
}

template <class T>
constexpr uint32_t queueCapabilities() {
  if constexpr (requires { T::kQueueCapabilities; }) {
    return T::kQueueCapabilities;
  } else {
    return EPP_QUEUE_CAP_PRIORITY;
  }
}

template <class T>
struct Tables {
  static constexpr epp_filter_v1 kFilter{sizeof(epp_filter_v1), &filter<T>};
  static constexpr epp_scorer_v1 kScorer{sizeof(epp_scorer_v1), scorerCategory<T>(), &score<T>};
  static constexpr epp_picker_v1 kPicker{sizeof(epp_picker_v1), &pick<T>};
  static constexpr epp_profile_handler_v1 kProfileHandler{sizeof(epp_profile_handler_v1),
                                                          &pickProfiles<T>, &processResults<T>};
  static constexpr epp_ordering_policy_v1 kOrdering{sizeof(epp_ordering_policy_v1),
                                                    queueCapabilities<T>(), &less<T>};
  static constexpr epp_fairness_policy_v1 kFairness{
      sizeof(epp_fairness_policy_v1), &bandStateNew<T>, &bandStateDestroy<T>, &pickFlow<T>};
  static constexpr epp_saturation_detector_v1 kSaturation{sizeof(epp_saturation_detector_v1),
                                                          &saturation<T>};
  static constexpr epp_traffic_splitter_v1 kSplitter{sizeof(epp_traffic_splitter_v1), &split<T>};
  static constexpr epp_backend_adapter_v1 makeAdapter() {
    epp_backend_adapter_v1 t{sizeof(epp_backend_adapter_v1), &adapterInfo<T>, &parseMetrics<T>,
                             &checkHealth<T>, nullptr};
    if constexpr (std::is_base_of_v<BackendDetection, T>) t.detect = &detect<T>;
    return t;
  }
  static constexpr epp_backend_adapter_v1 kAdapter = makeAdapter();
  static constexpr epp_request_hooks_v1 makeRequestHooks() {
    epp_request_hooks_v1 h{
        sizeof(epp_request_hooks_v1), nullptr, nullptr, nullptr, nullptr, nullptr};
    if constexpr (std::is_base_of_v<PrepareRequestHook, T>) h.prepare_request = &prepareRequest<T>;
    if constexpr (std::is_base_of_v<PreRequestHook, T>) h.pre_request = &preRequest<T>;
    if constexpr (std::is_base_of_v<ResponseHooks, T>) {
      h.response_headers = &responseHeaders<T>;
      h.response_body = &responseBody<T>;
      h.request_complete = &requestComplete<T>;
    }
    return h;
  }
  static constexpr epp_request_hooks_v1 kRequestHooks = makeRequestHooks();
  static constexpr epp_data_hooks_v1 makeDataHooks() {
    epp_data_hooks_v1 h{sizeof(epp_data_hooks_v1), nullptr, nullptr, nullptr};
    if constexpr (std::is_base_of_v<EndpointHooks, T>) {
      h.endpoints_added = &endpointsAdded<T>;
      h.endpoints_removed = &endpointsRemoved<T>;
    }
    if constexpr (std::is_base_of_v<KvEventHooks, T>) h.kv_events = &kvEvents<T>;
    return h;
  }
  static constexpr epp_data_hooks_v1 kDataHooks = makeDataHooks();
  static constexpr epp_state_handover_v1 kStateHandover{sizeof(epp_state_handover_v1),
                                                        &exportState<T>, &importState<T>};
};

template <class T>
constexpr epp_type_descriptor makeType(const char* typeName, const char* description) {
  static_assert(std::is_constructible_v<T, const CreateContext&>,
                "a plugin type needs a constructor T(const epp::cpp::CreateContext&)");
  epp_type_descriptor d{};
  d.struct_size = sizeof d;
  d.type_name = typeName;
  d.description = description;
  d.create = &create<T>;
  d.destroy = &destroy<T>;
  using Tb = Tables<T>;
  if constexpr (std::is_base_of_v<Filter, T>) {
    d.kinds |= EPP_KIND_FILTER;
    d.filter = &Tb::kFilter;
  }
  if constexpr (std::is_base_of_v<Scorer, T>) {
    d.kinds |= EPP_KIND_SCORER;
    d.scorer = &Tb::kScorer;
  }
  if constexpr (std::is_base_of_v<Picker, T>) {
    d.kinds |= EPP_KIND_PICKER;
    d.picker = &Tb::kPicker;
  }
  if constexpr (std::is_base_of_v<ProfileHandler, T>) {
    d.kinds |= EPP_KIND_PROFILE_HANDLER;
    d.profile_handler = &Tb::kProfileHandler;
  }
  if constexpr (std::is_base_of_v<OrderingPolicy, T>) {
    d.kinds |= EPP_KIND_ORDERING_POLICY;
    d.ordering_policy = &Tb::kOrdering;
  }
  if constexpr (std::is_base_of_v<FairnessPolicy, T>) {
    d.kinds |= EPP_KIND_FAIRNESS_POLICY;
    d.fairness_policy = &Tb::kFairness;
  }
  if constexpr (std::is_base_of_v<SaturationDetector, T>) {
    d.kinds |= EPP_KIND_SATURATION_DETECTOR;
    d.saturation_detector = &Tb::kSaturation;
  }
  if constexpr (std::is_base_of_v<TrafficSplitter, T>) {
    d.kinds |= EPP_KIND_TRAFFIC_SPLITTER;
    d.traffic_splitter = &Tb::kSplitter;
  }
  if constexpr (std::is_base_of_v<BackendAdapter, T>) {
    d.kinds |= EPP_KIND_BACKEND_ADAPTER;
    d.backend_adapter = &Tb::kAdapter;
  }
  if constexpr (std::is_base_of_v<PrepareRequestHook, T> || std::is_base_of_v<PreRequestHook, T> ||
                std::is_base_of_v<ResponseHooks, T>) {
    d.kinds |= EPP_KIND_REQUEST_HOOKS;
    d.request_hooks = &Tb::kRequestHooks;
  }
  if constexpr (std::is_base_of_v<EndpointHooks, T> || std::is_base_of_v<KvEventHooks, T>) {
    d.kinds |= EPP_KIND_DATA_HOOKS;
    d.data_hooks = &Tb::kDataHooks;
  }
  if constexpr (std::is_base_of_v<StateHandover, T>) {
    d.kinds |= EPP_KIND_STATE_HANDOVER;
    d.state_handover = &Tb::kStateHandover;
  }
  return d;
}

// The library's descriptor, built in place (it points into itself: never copied).
template <size_t N>
struct PluginDef {
  template <class... Types>
  PluginDef(const char* name, const char* version, const char* description, Types... ts)
      : types{ts...} {
    for (size_t i = 0; i < N; ++i) pointers[i] = &types[i];
    descriptor.struct_size = sizeof descriptor;
    descriptor.abi_major = EPP_ABI_MAJOR;
    descriptor.abi_minor = EPP_ABI_MINOR;
    descriptor.name = name;
    descriptor.version = version;
    descriptor.description = description;
    descriptor.types = pointers.data();
    descriptor.types_count = N;
    descriptor.shutdown = nullptr;
  }
  PluginDef(const PluginDef&) = delete;
  PluginDef& operator=(const PluginDef&) = delete;

  std::array<epp_type_descriptor, N> types;
  std::array<const epp_type_descriptor*, N> pointers{};
  epp_plugin_descriptor descriptor{};
};
template <class... Types>
PluginDef(const char*, const char*, const char*, Types...) -> PluginDef<sizeof...(Types)>;

inline const epp_plugin_descriptor* entry(const epp_entry_args* args,
                                          const epp_plugin_descriptor* (*describe)()) noexcept {
  if (args == nullptr || args->host == nullptr) return nullptr;
  if (args->host_abi_major != EPP_ABI_MAJOR) {
    std::string msg = "plugin built for ABI " + std::to_string(EPP_ABI_MAJOR) + "." +
                      std::to_string(EPP_ABI_MINOR) + ", host speaks " +
                      std::to_string(args->host_abi_major) + "." +
                      std::to_string(args->host_abi_minor);
    args->host->error_set(args->error, str(msg));
    return nullptr;
  }
  g_host = args->host;
  try {
    return describe();
  } catch (const std::exception& e) {
    args->host->error_set(args->error, str(e.what()));
    return nullptr;
  }
}

}  // namespace epp::cpp::detail

// One plugin type of a library: a class T with a T(const epp::cpp::CreateContext&)
// constructor, deriving from the kind interfaces it implements.
#define EPP_TYPE(T, type_name, description) ::epp::cpp::detail::makeType<T>(type_name, description)

// An entry function `fn` (same signature as epp_plugin_entry) that is not exported: link
// it into test binaries, or export it from one translation unit with EPP_PLUGIN_EXPORT.
#define EPP_PLUGIN_ENTRY_FN(fn, name, version, description, ...)                               \
  const epp_plugin_descriptor* fn(const epp_entry_args* args) {                                \
    return ::epp::cpp::detail::entry(args, []() -> const epp_plugin_descriptor* {              \
      static const ::epp::cpp::detail::PluginDef def(name, version, description, __VA_ARGS__); \
      return &def.descriptor;                                                                  \
    });                                                                                        \
  }

// Exports `fn` (defined with EPP_PLUGIN_ENTRY_FN) as the library's entry point, with the
// ABI marker. Use once per library.
#define EPP_PLUGIN_EXPORT(fn)                                                             \
  extern "C" EPP_EXPORT const uint32_t epp_plugin_abi =                                   \
      EPP_ABI_PACK(EPP_ABI_MAJOR, EPP_ABI_MINOR);                                         \
  extern "C" EPP_EXPORT const epp_plugin_descriptor* epp_plugin_entry(                    \
      const epp_entry_args* args) {                                                       \
    return fn(args);                                                                      \
  }

// The library's two exported symbols, in one go. Use once per library.
#define EPP_PLUGIN(name, version, description, ...)                                   \
  EPP_PLUGIN_ENTRY_FN(epp_cpp_plugin_entry_, name, version, description, __VA_ARGS__) \
  EPP_PLUGIN_EXPORT(epp_cpp_plugin_entry_)

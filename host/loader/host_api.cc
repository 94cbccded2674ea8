#include "host/loader/host_api.h"

#include <algorithm>
#include <cctype>
#include <span>
#include <string>
#include <vector>

#include "host/common/clock.h"
#include "host/common/logging.h"
#include "host/config/param_tree.h"
#include "host/loader/abi_views.h"
#include "host/loader/error_sink.h"
#include "host/loader/instance_host.h"
#include "host/loader/metrics_sink.h"
#include "host/loader/plugin_metrics.h"
#include "host/loader/request_host.h"
#include "host/loader/state_sink.h"

namespace epp::loader {
namespace {

using config::ParamNode;

thread_local const std::string* t_library = nullptr;

// Runs `body`; a C++ exception (a host bug) is logged and turned into `failed`.
template <typename R, typename F>
R guarded(const char* callback, R failed, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    try {
      common::logger()->error("host callback {} failed: {}", callback, e.what());
    } catch (...) {
    }
  } catch (...) {
    try {
      common::logger()->error("host callback {} failed", callback);
    } catch (...) {
    }
  }
  return failed;
}

template <typename F>
void guardedVoid(const char* callback, F&& body) noexcept {
  guarded(callback, 0, [&] {
    body();
    return 0;
  });
}

spdlog::level::level_enum toSpdlog(epp_log_level level) {
  switch (level) {
    case EPP_LOG_TRACE:
      return spdlog::level::trace;
    case EPP_LOG_DEBUG:
      return spdlog::level::debug;
    case EPP_LOG_INFO:
      return spdlog::level::info;
    case EPP_LOG_WARN:
      return spdlog::level::warn;
    default:
      return spdlog::level::err;
  }
}

// ---- errors ----------------------------------------------------------------------------

void errorSet(epp_error_host_ptr error, epp_str message) noexcept {
  guardedVoid("error_set", [&] {
    if (ErrorSink* sink = ErrorSink::fromHandle(error)) sink->set(toView(message));
  });
}

// ---- logging and time ------------------------------------------------------------------

void log(epp_instance_host_ptr instance, epp_request_host_ptr request, epp_log_level level,
         epp_str message) noexcept {
  guardedVoid("log", [&] {
    auto& logger = *common::logger();
    spdlog::level::level_enum spd_level = toSpdlog(level);
    if (!logger.should_log(spd_level)) return;
    std::string who;
    if (const InstanceHost* host = InstanceHost::fromHandle(instance)) {
      who = fmt::format("plugin={} type={}", host->name(), host->typeName());
    } else {
      who = fmt::format("library={}", t_library != nullptr ? *t_library : "?");
    }
    if (const RequestHost* req = RequestHost::fromHandle(request)) {
      who += fmt::format(" request_id={}", req->requestId());
    }
    logger.log(spd_level, "{} {}", who, toView(message));
  });
}

bool logEnabled(epp_log_level level) noexcept {
  return guarded("log_enabled", false,
                 [&] { return common::logger()->should_log(toSpdlog(level)); });
}

int64_t nowNs() noexcept {
  return guarded("now_ns", int64_t{0}, [] { return common::monotonicNowNs(); });
}
int64_t wallTimeNs() noexcept {
  return guarded("wall_time_ns", int64_t{0}, [] { return common::wallTimeNs(); });
}

// ---- parameters ------------------------------------------------------------------------

epp_param_kind paramKind(epp_param_host_ptr node) noexcept {
  const ParamNode* n = ParamNode::fromHandle(node);
  return n != nullptr ? n->kind() : EPP_PARAM_NULL;
}

epp_str paramLocation(epp_param_host_ptr node) noexcept {
  const ParamNode* n = ParamNode::fromHandle(node);
  return n != nullptr ? toStr(n->location()) : epp_str{nullptr, 0};
}

epp_status paramGet(epp_param_host_ptr node, epp_str key, epp_param_host_ptr* child) noexcept {
  return guarded("param_get", EPP_ERR_INTERNAL, [&]() -> epp_status {
    const ParamNode* n = ParamNode::fromHandle(node);
    if (n == nullptr || child == nullptr) return EPP_ERR_INVALID_ARGUMENT;
    const ParamNode* found = n->find(toView(key));
    if (found == nullptr) return EPP_ERR_NOT_FOUND;
    *child = found->handle();
    return EPP_OK;
  });
}

size_t paramSize(epp_param_host_ptr node) noexcept {
  const ParamNode* n = ParamNode::fromHandle(node);
  return n != nullptr ? n->size() : 0;
}

epp_status paramAt(epp_param_host_ptr node, size_t index, epp_param_host_ptr* child,
                   epp_str* key) noexcept {
  return guarded("param_at", EPP_ERR_INTERNAL, [&]() -> epp_status {
    const ParamNode* n = ParamNode::fromHandle(node);
    if (n == nullptr) return EPP_ERR_INVALID_ARGUMENT;
    if (index >= n->size()) return EPP_ERR_OUT_OF_RANGE;
    if (child != nullptr) *child = n->at(index)->handle();
    if (key != nullptr) {
      *key = n->kind() == EPP_PARAM_MAP ? toStr(n->keyAt(index)) : epp_str{nullptr, 0};
    }
    return EPP_OK;
  });
}

// Typed reads share one shape: convert, write on success, INVALID_ARGUMENT otherwise.
template <typename T, typename Out>
epp_status readScalar(const char* callback, epp_param_host_ptr node, Out* out,
                      common::Result<T> (ParamNode::*read)() const) noexcept {
  return guarded(callback, EPP_ERR_INTERNAL, [&]() -> epp_status {
    const ParamNode* n = ParamNode::fromHandle(node);
    if (n == nullptr || out == nullptr) return EPP_ERR_INVALID_ARGUMENT;
    common::Result<T> value = (n->*read)();
    if (!value) return EPP_ERR_INVALID_ARGUMENT;
    *out = *value;
    return EPP_OK;
  });
}

epp_status paramBool(epp_param_host_ptr node, bool* out) noexcept {
  return readScalar("param_bool", node, out, &ParamNode::asBool);
}
epp_status paramInt(epp_param_host_ptr node, int64_t* out) noexcept {
  return readScalar("param_int", node, out, &ParamNode::asInt);
}
epp_status paramDouble(epp_param_host_ptr node, double* out) noexcept {
  return readScalar("param_double", node, out, &ParamNode::asDouble);
}
epp_status paramDurationNs(epp_param_host_ptr node, int64_t* out) noexcept {
  return readScalar("param_duration_ns", node, out, &ParamNode::asDurationNs);
}
epp_status paramBytes(epp_param_host_ptr node, int64_t* out) noexcept {
  return readScalar("param_bytes", node, out, &ParamNode::asBytes);
}

epp_status paramString(epp_param_host_ptr node, epp_str* out) noexcept {
  const ParamNode* n = ParamNode::fromHandle(node);
  if (n == nullptr || out == nullptr || n->kind() != EPP_PARAM_SCALAR) {
    return EPP_ERR_INVALID_ARGUMENT;
  }
  // A view of the node's own text: valid as long as the tree (during create).
  *out = toStr(n->text());
  return EPP_OK;
}

// ---- metrics ---------------------------------------------------------------------------

epp_status metricRegister(epp_instance_host_ptr instance, const epp_metric_desc* desc,
                          epp_metric_host_ptr* out, epp_error_host_ptr error) noexcept {
  return guarded("metric_register", EPP_ERR_INTERNAL, [&]() -> epp_status {
    ErrorSink* sink = ErrorSink::fromHandle(error);
    auto fail = [&](std::string_view message) {
      if (sink != nullptr) sink->set(message);
      return EPP_ERR_INVALID_ARGUMENT;
    };
    InstanceHost* host = InstanceHost::fromHandle(instance);
    if (host == nullptr || out == nullptr) return fail("metric_register: NULL instance or out");
    if (!host->creating()) return fail("metric_register is only allowed during create");
    auto metric = host->metrics().registerMetric(desc);
    if (!metric) return fail(metric.error());
    *out = (*metric)->handle();
    return EPP_OK;
  });
}

epp_status kvEventsSubscribe(epp_instance_host_ptr instance, int32_t port, epp_str topic_filter,
                             epp_error_host_ptr error) noexcept {
  return guarded("kv_events_subscribe", EPP_ERR_INTERNAL, [&]() -> epp_status {
    ErrorSink* sink = ErrorSink::fromHandle(error);
    auto fail = [&](std::string_view message) {
      if (sink != nullptr) sink->set(message);
      return EPP_ERR_INVALID_ARGUMENT;
    };
    InstanceHost* host = InstanceHost::fromHandle(instance);
    if (host == nullptr) return fail("kv_events_subscribe: NULL instance");
    if (!host->creating()) return fail("kv_events_subscribe is only allowed during create");
    if (port < 1 || port > 65535) {
      return fail("kv_events_subscribe: port " + std::to_string(port) + " is not 1-65535");
    }
    host->setKvSubscription({port, std::string(toView(topic_filter))});
    return EPP_OK;
  });
}

epp_status metricSeries(epp_metric_host_ptr metric, const epp_str* label_values,
                        size_t label_values_count, epp_series_host_ptr* out) noexcept {
  return guarded("metric_series", EPP_ERR_INTERNAL, [&]() -> epp_status {
    MetricHandle* handle = MetricHandle::fromHandle(metric);
    if (handle == nullptr || out == nullptr ||
        (label_values_count > 0 && label_values == nullptr)) {
      return EPP_ERR_INVALID_ARGUMENT;
    }
    std::vector<std::string_view> values;
    values.reserve(label_values_count);
    for (size_t i = 0; i < label_values_count; ++i) values.push_back(toView(label_values[i]));
    auto series = handle->series(values);
    if (!series) return EPP_ERR_INVALID_ARGUMENT;
    *out = (*series)->handle();
    return EPP_OK;
  });
}

void seriesAdd(epp_series_host_ptr series, double value) noexcept {
  guardedVoid("series_add", [&] {
    if (SeriesHandle* s = SeriesHandle::fromHandle(series)) s->add(value);
  });
}
void seriesSet(epp_series_host_ptr series, double value) noexcept {
  guardedVoid("series_set", [&] {
    if (SeriesHandle* s = SeriesHandle::fromHandle(series)) s->set(value);
  });
}
void seriesObserve(epp_series_host_ptr series, double value) noexcept {
  guardedVoid("series_observe", [&] {
    if (SeriesHandle* s = SeriesHandle::fromHandle(series)) s->observe(value);
  });
}

// ---- the request -----------------------------------------------------------------------

epp_str requestHeader(epp_request_host_ptr request, epp_str name) noexcept {
  return guarded("request_header", epp_str{nullptr, 0}, [&]() -> epp_str {
    const RequestHost* req = RequestHost::fromHandle(request);
    if (req == nullptr) return {nullptr, 0};
    auto value = req->header(toView(name));
    return value ? toStr(*value) : epp_str{nullptr, 0};
  });
}

epp_status requestSetHeader(epp_request_host_ptr request, epp_str name, epp_str value) noexcept {
  return guarded("request_set_header", EPP_ERR_INTERNAL, [&]() -> epp_status {
    RequestHost* req = RequestHost::fromHandle(request);
    if (req == nullptr || toView(name).empty()) return EPP_ERR_INVALID_ARGUMENT;
    return req->setHeader(toView(name), toView(value));
  });
}

epp_status requestPrefixHashes(epp_request_host_ptr request, uint32_t block_size_tokens,
                               uint32_t max_blocks, const uint64_t** hashes,
                               size_t* count) noexcept {
  return guarded("request_prefix_hashes", EPP_ERR_INTERNAL, [&]() -> epp_status {
    RequestHost* req = RequestHost::fromHandle(request);
    if (req == nullptr || hashes == nullptr || count == nullptr || block_size_tokens == 0) {
      return EPP_ERR_INVALID_ARGUMENT;
    }
    std::span<const uint64_t> out;
    epp_status status = req->prefixHashes(block_size_tokens, max_blocks, out);
    *hashes = status == EPP_OK ? out.data() : nullptr;
    *count = status == EPP_OK ? out.size() : 0;
    return status;
  });
}

uint64_t requestRandom(epp_request_host_ptr request) noexcept {
  return guarded("request_random", uint64_t{0}, [&]() -> uint64_t {
    RequestHost* req = RequestHost::fromHandle(request);
    return req != nullptr ? req->random() : 0;
  });
}

epp_status requestStateSet(epp_request_host_ptr request, epp_instance_host_ptr instance,
                           void* state, void (*destroy)(void*)) noexcept {
  return guarded("request_state_set", EPP_ERR_INTERNAL, [&]() -> epp_status {
    RequestHost* req = RequestHost::fromHandle(request);
    const InstanceHost* host = InstanceHost::fromHandle(instance);
    if (req == nullptr || host == nullptr) {
      // Ownership passed to the host whatever happens; nobody else would free it.
      if (state != nullptr && destroy != nullptr) destroy(state);
      return EPP_ERR_INVALID_ARGUMENT;
    }
    return req->stateSet(*host, state, destroy);
  });
}

void* requestStateGet(epp_request_host_ptr request, epp_instance_host_ptr instance) noexcept {
  return guarded("request_state_get", static_cast<void*>(nullptr), [&]() -> void* {
    const RequestHost* req = RequestHost::fromHandle(request);
    const InstanceHost* host = InstanceHost::fromHandle(instance);
    return req != nullptr && host != nullptr ? req->stateGet(*host) : nullptr;
  });
}

epp_status requestDataPut(epp_request_host_ptr request, epp_str key, const uint64_t* endpoint_ids,
                          const double* values, size_t count) noexcept {
  return guarded("request_data_put", EPP_ERR_INTERNAL, [&]() -> epp_status {
    RequestHost* req = RequestHost::fromHandle(request);
    if (req == nullptr || toView(key).empty() ||
        (count > 0 && (endpoint_ids == nullptr || values == nullptr))) {
      return EPP_ERR_INVALID_ARGUMENT;
    }
    return req->dataPut(toView(key), std::span<const uint64_t>(endpoint_ids, count),
                        std::span<const double>(values, count));
  });
}

epp_status requestDataGet(epp_request_host_ptr request, epp_str key,
                          const epp_endpoint_list* endpoints, double* values) noexcept {
  return guarded("request_data_get", EPP_ERR_INTERNAL, [&]() -> epp_status {
    const RequestHost* req = RequestHost::fromHandle(request);
    if (req == nullptr || endpoints == nullptr || (endpoints->count > 0 && values == nullptr)) {
      return EPP_ERR_INVALID_ARGUMENT;
    }
    return req->dataGet(toView(key), *endpoints, values);
  });
}

epp_status requestPool(epp_request_host_ptr request, epp_endpoint_list* out) noexcept {
  return guarded("request_pool", EPP_ERR_INTERNAL, [&]() -> epp_status {
    const RequestHost* req = RequestHost::fromHandle(request);
    if (req == nullptr || out == nullptr) return EPP_ERR_INVALID_ARGUMENT;
    return req->pool(*out);
  });
}

// ---- backend adapter output ------------------------------------------------------------

void sinkAddLora(epp_metrics_sink_host_ptr sink, epp_lora_list list, epp_str name) noexcept {
  guardedVoid("sink_add_lora", [&] {
    MetricsSink* s = MetricsSink::fromHandle(sink);
    if (s == nullptr || toView(name).empty()) return;
    auto& target = list == EPP_LORA_WAITING ? s->waiting_loras : s->active_loras;
    target.emplace_back(toView(name));
  });
}

void sinkSetLabel(epp_metrics_sink_host_ptr sink, epp_str key, epp_str value) noexcept {
  guardedVoid("sink_set_label", [&] {
    MetricsSink* s = MetricsSink::fromHandle(sink);
    if (s == nullptr || toView(key).empty()) return;
    s->labels[std::string(toView(key))] = std::string(toView(value));
  });
}

// ---- state hand-over output (ABI 1.1) ---------------------------------------------------

epp_status stateSinkSetFormat(epp_state_sink_host_ptr sink, epp_str format) noexcept {
  return guarded("state_sink_set_format", EPP_ERR_INTERNAL, [&]() -> epp_status {
    StateSink* s = StateSink::fromHandle(sink);
    if (s == nullptr) return EPP_ERR_INVALID_ARGUMENT;
    return s->setFormat(toView(format));
  });
}

epp_status stateSinkWrite(epp_state_sink_host_ptr sink, epp_bytes data) noexcept {
  return guarded("state_sink_write", EPP_ERR_INTERNAL, [&]() -> epp_status {
    StateSink* s = StateSink::fromHandle(sink);
    if (s == nullptr || (data.ptr == nullptr && data.len > 0)) return EPP_ERR_INVALID_ARGUMENT;
    if (data.len == 0) return EPP_OK;
    return s->write(std::string_view(reinterpret_cast<const char*>(data.ptr), data.len));
  });
}

// ---- the response to the client (ABI 1.2) ----------------------------------------------

epp_status responseSetHeader(epp_request_host_ptr request, epp_str name, epp_str value) noexcept {
  return guarded("response_set_header", EPP_ERR_INTERNAL, [&]() -> epp_status {
    RequestHost* req = RequestHost::fromHandle(request);
    std::string key(toView(name));
    if (req == nullptr || key.empty() || key.front() == ':') return EPP_ERR_INVALID_ARGUMENT;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return req->setResponseHeader(key, toView(value));
  });
}

constexpr epp_host_api kHostApi = {
    .struct_size = sizeof(epp_host_api),
    .abi_major = EPP_ABI_MAJOR,
    .abi_minor = EPP_ABI_MINOR,
    .error_set = errorSet,
    .log = log,
    .log_enabled = logEnabled,
    .now_ns = nowNs,
    .wall_time_ns = wallTimeNs,
    .param_kind = paramKind,
    .param_location = paramLocation,
    .param_get = paramGet,
    .param_size = paramSize,
    .param_at = paramAt,
    .param_bool = paramBool,
    .param_int = paramInt,
    .param_double = paramDouble,
    .param_string = paramString,
    .param_duration_ns = paramDurationNs,
    .param_bytes = paramBytes,
    .metric_register = metricRegister,
    .metric_series = metricSeries,
    .series_add = seriesAdd,
    .series_set = seriesSet,
    .series_observe = seriesObserve,
    .request_header = requestHeader,
    .request_set_header = requestSetHeader,
    .request_prefix_hashes = requestPrefixHashes,
    .request_random = requestRandom,
    .request_state_set = requestStateSet,
    .request_state_get = requestStateGet,
    .request_data_put = requestDataPut,
    .request_data_get = requestDataGet,
    .request_pool = requestPool,
    .sink_add_lora = sinkAddLora,
    .sink_set_label = sinkSetLabel,
    .state_sink_set_format = stateSinkSetFormat,
    .state_sink_write = stateSinkWrite,
    .response_set_header = responseSetHeader,
    .kv_events_subscribe = kvEventsSubscribe,
};

}  // namespace

const epp_host_api* hostApi() { return &kHostApi; }

ScopedLibraryLogContext::ScopedLibraryLogContext(const std::string& library)
    : previous_(t_library) {
  t_library = &library;
}

ScopedLibraryLogContext::~ScopedLibraryLogContext() { t_library = previous_; }

}  // namespace epp::loader

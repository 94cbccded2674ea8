// File: epp/cpp/views.h
//
// Read-only C++ wrappers over the ABI's views. They own nothing and are as cheap to copy
// as a pointer; their lifetimes are those of the views they wrap (see abi_*.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "epp/cpp/core.h"

namespace epp::cpp {

// A list of strings held by the host (LoRA names), iterable as string_views.
class StrList {
 public:
  StrList(const epp_str* items, size_t count) : items_(items), count_(count) {}
  size_t size() const { return count_; }
  std::string_view operator[](size_t i) const { return view(items_[i]); }
  bool contains(std::string_view s) const {
    for (size_t i = 0; i < count_; ++i) {
      if (view(items_[i]) == s) return true;
    }
    return false;
  }

 private:
  const epp_str* items_;
  size_t count_;
};

class Endpoint {
 public:
  explicit Endpoint(const epp_endpoint_view* v) : v_(v) {}
  const epp_endpoint_view* raw() const { return v_; }

  uint64_t id() const { return v_->id; }
  std::string_view address() const { return view(v_->address); }
  uint32_t port() const { return v_->port; }
  std::string_view hostPort() const { return view(v_->host_port); }
  std::string_view name() const { return view(v_->name); }
  std::string_view engine() const { return view(v_->engine); }
  std::string_view role() const { return view(v_->role); }
  std::string_view pool() const { return view(v_->pool); }
  epp_health health() const { return v_->health; }
  std::optional<std::string_view> label(std::string_view key) const {
    for (size_t i = 0; i < v_->labels_count; ++i) {
      if (view(v_->labels[i].key) == key) return view(v_->labels[i].value);
    }
    return std::nullopt;
  }

  bool hasMetrics() const { return (v_->flags & EPP_ENDPOINT_FLAG_NO_METRICS) == 0; }
  bool stale() const { return (v_->flags & EPP_ENDPOINT_FLAG_STALE) != 0; }
  int64_t waitingRequests() const { return v_->waiting_requests; }
  int64_t runningRequests() const { return v_->running_requests; }
  double kvCacheUsage() const { return v_->kv_cache_usage; }
  StrList activeLoras() const { return {v_->active_loras, v_->active_loras_count}; }
  StrList waitingLoras() const { return {v_->waiting_loras, v_->waiting_loras_count}; }
  int64_t maxLoras() const { return v_->max_loras; }
  int64_t cacheBlockSize() const { return v_->cache_block_size; }
  int64_t cacheNumBlocks() const { return v_->cache_num_blocks; }
  int64_t metricsUpdatedNs() const { return v_->metrics_updated_ns; }
  int64_t inflightRequests() const { return v_->inflight_requests; }

 private:
  const epp_endpoint_view* v_;
};

class EndpointList {
 public:
  explicit EndpointList(const epp_endpoint_list* l) : l_(l) {}
  const epp_endpoint_list* raw() const { return l_; }
  size_t size() const { return l_->count; }
  bool empty() const { return l_->count == 0; }
  Endpoint operator[](size_t i) const { return Endpoint(l_->items[i]); }

  class Iterator {
   public:
    Iterator(const epp_endpoint_view* const* p) : p_(p) {}
    Endpoint operator*() const { return Endpoint(*p_); }
    Iterator& operator++() {
      ++p_;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return p_ != o.p_; }

   private:
    const epp_endpoint_view* const* p_;
  };
  Iterator begin() const { return Iterator(l_->items); }
  Iterator end() const { return Iterator(l_->items + l_->count); }

 private:
  const epp_endpoint_list* l_;
};

class Request {
 public:
  explicit Request(const epp_request_view* v) : v_(v) {}
  const epp_request_view* raw() const { return v_; }
  epp_request_host_ptr handle() const { return v_->handle; }

  std::string_view requestId() const { return view(v_->request_id); }
  std::string_view path() const { return view(v_->path); }
  std::string_view model() const { return view(v_->model); }
  std::string_view targetModel() const { return view(v_->target_model); }
  std::string_view loraAdapter() const { return view(v_->lora_adapter); }
  std::string_view fairnessId() const { return view(v_->fairness_id); }
  std::string_view body() const { return view(v_->body); }
  std::string_view prompt() const { return view(v_->prompt); }
  std::span<const uint32_t> tokenIds() const { return {v_->token_ids, v_->token_ids_count}; }
  int32_t priority() const { return v_->priority; }
  bool stream() const { return v_->stream; }
  int64_t receivedNs() const { return v_->received_ns; }

  // Header value (lower-case name) or nullopt.
  std::optional<std::string_view> header(std::string_view name) const {
    epp_str s = host().request_header(v_->handle, str(name));
    if (s.ptr == nullptr) return std::nullopt;
    return view(s);
  }
  // Adds or overwrites a header sent upstream with the decision.
  void setHeader(std::string_view name, std::string_view value) const {
    check(host().request_set_header(v_->handle, str(name), str(value)), "request_set_header");
  }
  // Adds or overwrites a header of the response the client receives (ABI 1.2): from
  // scheduling until the response-headers hooks have run.
  void setResponseHeader(std::string_view name, std::string_view value) const {
    const epp_host_api& h = host();
    if (!EPP_HAS_FIELD(&h, epp_host_api, response_set_header) || !h.response_set_header) {
      throw Error("this eppd cannot set response headers (ABI 1.2)", EPP_ERR_UNIMPLEMENTED);
    }
    check(h.response_set_header(v_->handle, str(name), str(value)), "response_set_header");
  }
  // Chained prefix block hashes, computed once per request and block size by the host.
  std::span<const uint64_t> prefixHashes(uint32_t blockSizeTokens, uint32_t maxBlocks) const {
    const uint64_t* hashes = nullptr;
    size_t count = 0;
    check(host().request_prefix_hashes(v_->handle, blockSizeTokens, maxBlocks, &hashes, &count),
          "request_prefix_hashes");
    return {hashes, count};
  }
  // The request's seeded generator: decisions replay exactly under `eppd replay`.
  uint64_t random() const { return host().request_random(v_->handle); }
  // The same generator as a standard UniformRandomBitGenerator, for <random>
  // distributions and std::shuffle.
  class Generator {
   public:
    using result_type = uint64_t;
    explicit Generator(const Request& request) : request_(&request) {}
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return UINT64_MAX; }
    result_type operator()() { return request_->random(); }

   private:
    const Request* request_;
  };
  Generator generator() const { return Generator(*this); }
  // Uniform in [0, 1).
  double randomUnit() const { return static_cast<double>(random() >> 11) * 0x1.0p-53; }

  // Per-request state of one instance, destroyed by the host when the request ends.
  template <class T>
  T* state(epp_instance_host_ptr instance) const {
    return static_cast<T*>(host().request_state_get(v_->handle, instance));
  }
  template <class T>
  T* setState(epp_instance_host_ptr instance, std::unique_ptr<T> state) const {
    T* raw = state.get();
    check(host().request_state_set(v_->handle, instance, state.release(),
                                   [](void* p) { delete static_cast<T*>(p); }),
          "request_state_set");
    return raw;
  }

  // Per-endpoint values shared between plugins of one request.
  void dataPut(std::string_view key, std::span<const uint64_t> endpointIds,
               std::span<const double> values) const {
    if (endpointIds.size() != values.size()) throw Error("dataPut: size mismatch");
    check(host().request_data_put(v_->handle, str(key), endpointIds.data(), values.data(),
                                  values.size()),
          "request_data_put");
  }
  // One value per endpoint of `endpoints` (NaN where none); nullopt when the key is absent.
  std::optional<std::vector<double>> dataGet(std::string_view key,
                                             const EndpointList& endpoints) const {
    std::vector<double> values(endpoints.size(), std::nan(""));
    epp_status s = host().request_data_get(v_->handle, str(key), endpoints.raw(), values.data());
    if (s == EPP_ERR_NOT_FOUND) return std::nullopt;
    check(s, "request_data_get");
    return values;
  }
  // All endpoints of the request's data snapshot.
  EndpointList pool(epp_endpoint_list* storage) const {
    check(host().request_pool(v_->handle, storage), "request_pool");
    return EndpointList(storage);
  }

 private:
  static void check(epp_status s, const char* what) {
    if (s != EPP_OK) throw Error(std::string("host call ") + what + " failed", s);
  }
  const epp_request_view* v_;
};

class ProfileResult {
 public:
  explicit ProfileResult(const epp_profile_result* r) : r_(r) {}
  std::string_view profileName() const { return view(r_->profile_name); }
  bool ok() const { return r_->ok; }
  size_t targetCount() const { return r_->targets_count; }
  Endpoint target(size_t i) const { return Endpoint(r_->targets[i]); }

 private:
  const epp_profile_result* r_;
};

class ProfileResults {
 public:
  ProfileResults(const epp_profile_result* const* items, size_t count)
      : items_(items), count_(count) {}
  size_t size() const { return count_; }
  ProfileResult operator[](size_t i) const { return ProfileResult(items_[i]); }
  // Result of the named profile if it ran.
  std::optional<ProfileResult> find(std::string_view name) const {
    for (size_t i = 0; i < count_; ++i) {
      if (view(items_[i]->profile_name) == name) return ProfileResult(items_[i]);
    }
    return std::nullopt;
  }

 private:
  const epp_profile_result* const* items_;
  size_t count_;
};

class SchedulingResult {
 public:
  explicit SchedulingResult(const epp_scheduling_result* r) : r_(r) {}
  ProfileResults profiles() const { return {r_->profiles, r_->profiles_count}; }
  std::optional<ProfileResult> primary() const {
    if (r_->primary_index >= r_->profiles_count) return std::nullopt;
    return ProfileResult(r_->profiles[r_->primary_index]);
  }

 private:
  const epp_scheduling_result* r_;
};

class Response {
 public:
  explicit Response(const epp_response_view* r) : r_(r) {}
  int32_t statusCode() const { return r_->status_code; }
  bool stream() const { return r_->stream; }
  const epp_usage& usage() const { return r_->usage; }
  std::optional<Endpoint> endpoint() const {
    if (r_->endpoint == nullptr) return std::nullopt;
    return Endpoint(r_->endpoint);
  }
  std::optional<std::string_view> header(std::string_view key) const {
    for (size_t i = 0; i < r_->headers_count; ++i) {
      if (view(r_->headers[i].key) == key) return view(r_->headers[i].value);
    }
    return std::nullopt;
  }
  int64_t firstByteNs() const { return r_->first_byte_ns; }
  int64_t completedNs() const { return r_->completed_ns; }

 private:
  const epp_response_view* r_;
};

class QueuedRequest {
 public:
  explicit QueuedRequest(const epp_queued_request* q) : q_(q) {}
  int32_t priority() const { return q_->priority; }
  Request request() const { return Request(q_->request); }
  uint64_t sequence() const { return q_->sequence; }
  int64_t enqueuedNs() const { return q_->enqueued_ns; }
  int64_t deadlineNs() const { return q_->deadline_ns; }
  int64_t byteSize() const { return q_->byte_size; }

 private:
  const epp_queued_request* q_;
};

class Flow {
 public:
  explicit Flow(const epp_flow_view* f) : f_(f) {}
  int32_t priority() const { return f_->priority; }
  std::string_view fairnessId() const { return view(f_->fairness_id); }
  size_t queuedCount() const { return f_->queued_count; }
  int64_t queuedBytes() const { return f_->queued_bytes; }
  std::optional<QueuedRequest> head() const {
    if (f_->head == nullptr) return std::nullopt;
    return QueuedRequest(f_->head);
  }
  int64_t lastDispatchNs() const { return f_->last_dispatch_ns; }
  uint64_t dispatchedTotal() const { return f_->dispatched_total; }

 private:
  const epp_flow_view* f_;
};

class FlowList {
 public:
  FlowList(const epp_flow_view* const* items, size_t count) : items_(items), count_(count) {}
  size_t size() const { return count_; }
  Flow operator[](size_t i) const { return Flow(items_[i]); }

 private:
  const epp_flow_view* const* items_;
  size_t count_;
};

class SplitTargets {
 public:
  SplitTargets(const epp_split_target* const* items, size_t count) : items_(items), count_(count) {}
  size_t size() const { return count_; }
  std::string_view model(size_t i) const { return view(items_[i]->model); }
  double weight(size_t i) const { return items_[i]->weight; }
  // Index of the target named `model`, or size() when none is.
  size_t find(std::string_view model) const {
    for (size_t i = 0; i < count_; ++i) {
      if (this->model(i) == model) return i;
    }
    return count_;
  }
  // The target a point `unit` in [0, 1) falls on when [0, 1) is cut into consecutive
  // spans proportional to the weights, skipping target `except` (none by default).
  // Zero-weight targets are never chosen; when every weight left is 0, the first target
  // that is not `except`.
  size_t byWeight(double unit, size_t except = SIZE_MAX) const {
    double total = 0;
    for (size_t i = 0; i < count_; ++i) total += i == except ? 0.0 : weight(i);
    size_t last = count_;
    double point = unit * total;
    for (size_t i = 0; i < count_; ++i) {
      if (i == except || !(weight(i) > 0)) continue;
      last = i;
      if (point < weight(i)) return i;
      point -= weight(i);
    }
    if (last != count_) return last;  // rounding put the point past the end
    return except == 0 && count_ > 1 ? 1 : 0;
  }

 private:
  const epp_split_target* const* items_;
  size_t count_;
};

class KvEvent {
 public:
  explicit KvEvent(const epp_kv_event* e) : e_(e) {}
  epp_kv_event_type type() const { return e_->type; }
  std::span<const uint64_t> blockHashes() const {
    return {e_->block_hashes, e_->block_hashes_count};
  }
  std::optional<uint64_t> parentHash() const {
    if (!e_->has_parent) return std::nullopt;
    return e_->parent_hash;
  }
  std::span<const uint32_t> tokenIds() const { return {e_->token_ids, e_->token_ids_count}; }
  int32_t blockSize() const { return e_->block_size; }
  int64_t loraId() const { return e_->lora_id; }
  epp_kv_medium medium() const { return e_->medium; }

 private:
  const epp_kv_event* e_;
};

class KvEventBatch {
 public:
  explicit KvEventBatch(const epp_kv_event_batch* b) : b_(b) {}
  uint64_t endpointId() const { return b_->endpoint_id; }
  std::string_view model() const { return view(b_->model); }
  uint64_t sequence() const { return b_->sequence; }
  double timestamp() const { return b_->timestamp; }
  int32_t dpRank() const { return b_->dp_rank; }
  size_t size() const { return b_->events_count; }
  KvEvent operator[](size_t i) const { return KvEvent(b_->events[i]); }

 private:
  const epp_kv_event_batch* b_;
};

}  // namespace epp::cpp

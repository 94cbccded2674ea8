/*
 * File: epp/abi_endpoint.h
 *
 * Endpoint views: what a plugin sees of one model-server endpoint. The host fills one
 * view per endpoint each time its data snapshot changes (not per request) and hands
 * plugins arrays of pointers to them.
 */
#ifndef EPP_ABI_ENDPOINT_H_
#define EPP_ABI_ENDPOINT_H_

#include "epp/abi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t epp_health;
/* Never probed or scraped yet. */
#define EPP_HEALTH_UNKNOWN 0
/* Answering its health check and metrics. */
#define EPP_HEALTH_HEALTHY 1
/* Failed its recent checks; the host keeps it out of the candidate set. */
#define EPP_HEALTH_UNHEALTHY 2
/* Up but not ready (a model still loading). */
#define EPP_HEALTH_NOT_READY 3

/* Bits of epp_endpoint_view.flags. */
/* The metrics below have never been received. */
#define EPP_ENDPOINT_FLAG_NO_METRICS (1u << 0)
/* The metrics are older than the host's staleness limit for metric-based scoring. */
#define EPP_ENDPOINT_FLAG_STALE (1u << 1)

/*
 * One endpoint (a model-server rank: address + port).
 *
 * OWNERSHIP: host. A view and every string and array it points at stay valid and
 * unchanged for as long as the call that hands it to the plugin, and also for as long as
 * the request whose hooks receive it is in flight. A plugin that needs an endpoint's
 * identity later keeps `id` (or copies `address`), never the pointer.
 *
 * Fields added in later minor versions are appended; check `struct_size` (use
 * EPP_HAS_FIELD) before reading a field newer than the ABI you built against.
 */
typedef struct epp_endpoint_view {
  uint32_t struct_size;
  /* Bit set of EPP_ENDPOINT_FLAG_*. */
  uint32_t flags;
  /* Stable identity across data snapshots and reloads: the same address:port (and pool)
   * keeps the same id while the endpoint exists. Use it to key per-endpoint state. */
  uint64_t id;
  /* IP address (v4 dotted or v6 without brackets) and port the gateway should target. */
  epp_str address;
  uint32_t port;
  epp_health health;
  /* "ip:port" (IPv6: "[ip]:port"): the exact string eppd returns to the gateway. */
  epp_str host_port;
  /* Pod or server name; empty when the source has none. */
  epp_str name;
  /* Backend engine ("vllm", "sglang", "trtllm-serve", "triton-tensorrt-llm", "llamacpp",
   * "tgi", or a third-party adapter's type). */
  epp_str engine;
  /* Disaggregation role from label llm-d.ai/role ("prefill", "decode", "both"); empty
   * when unlabelled. */
  epp_str role;
  /* InferencePool (or eppd pool) the endpoint belongs to. */
  epp_str pool;
  /* All labels of the endpoint, as discovered. */
  const epp_kv* labels;
  size_t labels_count;

  /* Live state as last scraped. Meaningless while EPP_ENDPOINT_FLAG_NO_METRICS is set. */
  int64_t waiting_requests;
  int64_t running_requests;
  /* KV-cache utilisation in [0, 1]. */
  double kv_cache_usage;
  /* LoRA adapters loaded and serving, and adapters requested but waiting for a slot. */
  const epp_str* active_loras;
  size_t active_loras_count;
  const epp_str* waiting_loras;
  size_t waiting_loras_count;
  /* Adapter slots (max-loras); 0 when the engine reports none. */
  int64_t max_loras;
  /* KV-cache block size in tokens and number of blocks; 0 when unknown. */
  int64_t cache_block_size;
  int64_t cache_num_blocks;
  /* Monotonic time (epp_host_api.now_ns clock) the metrics were received. */
  int64_t metrics_updated_ns;
  /* Requests eppd has routed here that have not completed (eppd's own count). */
  int64_t inflight_requests;
} epp_endpoint_view;

/*
 * A list of endpoints, e.g. the candidates of one scheduling step. Plugins index it in
 * order: a filter's keep mask, a scorer's score array and a picker's indices all refer to
 * positions in this list.
 *
 * OWNERSHIP: host; valid for the duration of the call that passes it.
 */
typedef struct epp_endpoint_list {
  const epp_endpoint_view* const* items;
  size_t count;
} epp_endpoint_list;

/* True when `view` (any size-prefixed struct) is large enough to contain `field`. */
#define EPP_HAS_FIELD(view, type, field) \
  ((view)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_ENDPOINT_H_ */

/*
 * File: epp/abi_adapter.h
 *
 * Function table of the backend protocol adapter kind: how eppd talks to one model-server
 * engine (where its metrics and health live, how to read them).
 */
#ifndef EPP_ABI_ADAPTER_H_
#define EPP_ABI_ADAPTER_H_

#include "epp/abi_endpoint.h"
#include "epp/abi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of epp_endpoint_metrics.present: which fields the adapter filled. */
#define EPP_METRICS_HAS_WAITING (1u << 0)
#define EPP_METRICS_HAS_RUNNING (1u << 1)
#define EPP_METRICS_HAS_KV_USAGE (1u << 2)
#define EPP_METRICS_HAS_MAX_LORAS (1u << 3)
#define EPP_METRICS_HAS_LORAS (1u << 4)
#define EPP_METRICS_HAS_CACHE_BLOCK_SIZE (1u << 5)
#define EPP_METRICS_HAS_CACHE_NUM_BLOCKS (1u << 6)

/* Numeric endpoint state parsed from one scrape. OWNERSHIP: host memory, zeroed by the
 * host, filled by the adapter. */
typedef struct epp_endpoint_metrics {
  uint32_t struct_size;
  uint32_t present;
  int64_t waiting_requests;
  int64_t running_requests;
  /* In [0, 1]. */
  double kv_cache_usage;
  int64_t max_loras;
  int64_t cache_block_size;
  int64_t cache_num_blocks;
} epp_endpoint_metrics;

/* Where an engine's endpoints are polled. OWNERSHIP: plugin; the strings stay valid until
 * the instance is destroyed. Empty strings mean "not supported". */
typedef struct epp_backend_info {
  uint32_t struct_size;
  /* e.g. "/metrics" */
  epp_str metrics_path;
  /* e.g. "/health" */
  epp_str health_path;
  /* e.g. "/v1/models" */
  epp_str models_path;
} epp_backend_info;

typedef struct epp_backend_adapter_v1 {
  uint32_t struct_size;
  /* Fills `info` (host memory). */
  epp_status (*info)(epp_instance_plugin_ptr self, epp_backend_info* info);
  /* Parses one metrics response body (Prometheus text exposition). Numeric fields go to
   * `out`; LoRA names and engine-specific labels go through the host's sink_* callbacks
   * with `sink`. Malformed input returns EPP_ERR_INVALID_ARGUMENT with a message in
   * `error`; partial results in `out` are then ignored. */
  epp_status (*parse_metrics)(epp_instance_plugin_ptr self, epp_bytes body, epp_str content_type,
                              epp_endpoint_metrics* out, epp_metrics_sink_host_ptr sink,
                              epp_error_host_ptr error);
  /* Maps a health probe's HTTP status and body to a health state (llama.cpp answers 503
   * while its model loads: NOT_READY, not UNHEALTHY). */
  epp_status (*check_health)(epp_instance_plugin_ptr self, int32_t http_status, epp_bytes body,
                             epp_health* health);
  /* Optional (may be NULL). Sets *matches when a /v1/models body shows this engine (its
   * "owned_by"), for engine auto-detection. */
  epp_status (*detect)(epp_instance_plugin_ptr self, epp_bytes models_body, bool* matches);
} epp_backend_adapter_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_ADAPTER_H_ */

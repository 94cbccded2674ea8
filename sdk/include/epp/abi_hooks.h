/*
 * File: epp/abi_hooks.h
 *
 * Optional hooks any plugin type may offer besides its kind tables: the request
 * lifecycle (data production before scheduling, the decision, the response) and data
 * events (endpoints joining and leaving, model servers' KV-cache events).
 *
 * Every hook pointer may be NULL: presence is capability. The host calls the hooks of
 * every instance of the active config snapshot that offers them, in config order (a
 * deterministic order).
 */
#ifndef EPP_ABI_HOOKS_H_
#define EPP_ABI_HOOKS_H_

#include "epp/abi_endpoint.h"
#include "epp/abi_request.h"
#include "epp/abi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a request ended, passed to request_complete. */
typedef int32_t epp_request_outcome;
/* The response completed (whatever its HTTP status). */
#define EPP_OUTCOME_COMPLETED 0
/* eppd answered with an error (no endpoint, shed, bad request). */
#define EPP_OUTCOME_REJECTED 1
/* The client or gateway went away before the response completed. */
#define EPP_OUTCOME_CANCELLED 2

typedef struct epp_request_hooks_v1 {
  uint32_t struct_size;
  /* Before scheduling, once per request: compute per-endpoint data and publish it with
   * epp_host_api.request_data_put (a producer). An error is logged and counted; the
   * request continues without the data. */
  epp_status (*prepare_request)(epp_instance_plugin_ptr self, const epp_request_view* request,
                                const epp_endpoint_list* candidates);
  /* After scheduling, before the decision is sent to the gateway ("pre-request"). */
  void (*pre_request)(epp_instance_plugin_ptr self, const epp_request_view* request,
                      const epp_scheduling_result* result);
  /* Response headers arrived. */
  void (*response_headers)(epp_instance_plugin_ptr self, const epp_request_view* request,
                           const epp_response_view* response);
  /* One response body chunk as it passes (already forwarded: the hook cannot delay it). */
  void (*response_body)(epp_instance_plugin_ptr self, const epp_request_view* request,
                        const epp_response_view* response, epp_bytes chunk, bool end_of_stream);
  /* Exactly once per request that reached scheduling, however it ended; afterwards the
   * host destroys the request's plugin state. `response` is NULL when none arrived. */
  void (*request_complete)(epp_instance_plugin_ptr self, const epp_request_view* request,
                           const epp_response_view* response, epp_request_outcome outcome);
} epp_request_hooks_v1;

/* KV-cache event types (vLLM's BlockStored / BlockRemoved / AllBlocksCleared). */
typedef int32_t epp_kv_event_type;
#define EPP_KV_BLOCK_STORED 0
#define EPP_KV_BLOCK_REMOVED 1
#define EPP_KV_ALL_CLEARED 2

/* Storage medium of cached blocks. */
typedef int32_t epp_kv_medium;
#define EPP_KV_MEDIUM_GPU 0
#define EPP_KV_MEDIUM_CPU 1
#define EPP_KV_MEDIUM_OTHER 2

/* One decoded KV-cache event. OWNERSHIP: host; valid during the call. */
typedef struct epp_kv_event {
  uint32_t struct_size;
  epp_kv_event_type type;
  /* Engine block hashes stored or removed (empty for ALL_CLEARED). */
  const uint64_t* block_hashes;
  size_t block_hashes_count;
  /* Parent of the first stored block, when has_parent. */
  bool has_parent;
  uint64_t parent_hash;
  /* Token ids of the stored blocks, and tokens per block. */
  const uint32_t* token_ids;
  size_t token_ids_count;
  int32_t block_size;
  /* LoRA id (-1 none) and medium. */
  int64_t lora_id;
  epp_kv_medium medium;
} epp_kv_event;

/* A batch of events from one endpoint, in publication order. */
typedef struct epp_kv_event_batch {
  uint32_t struct_size;
  uint64_t endpoint_id;
  epp_str model;
  uint64_t sequence;
  /* Engine timestamp (seconds since the epoch) and data-parallel rank (-1 when absent). */
  double timestamp;
  int32_t dp_rank;
  const epp_kv_event* const* events;
  size_t events_count;
} epp_kv_event_batch;

/*
 * Data events. Calls for one instance are serialised by the host (they come from the data
 * layer, not the request path) but run concurrently with request-path calls.
 */
typedef struct epp_data_hooks_v1 {
  uint32_t struct_size;
  /* Endpoints that joined the pool. */
  void (*endpoints_added)(epp_instance_plugin_ptr self, const epp_endpoint_list* added);
  /* Ids of endpoints that left the pool: drop their state. */
  void (*endpoints_removed)(epp_instance_plugin_ptr self, const uint64_t* endpoint_ids,
                            size_t count);
  /* KV-cache events of one endpoint, in order. `resync` is true when the host detected a
   * sequence gap or reconnect: drop everything known about that endpoint first. */
  void (*kv_events)(epp_instance_plugin_ptr self, const epp_kv_event_batch* batch, bool resync);
} epp_data_hooks_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_HOOKS_H_ */

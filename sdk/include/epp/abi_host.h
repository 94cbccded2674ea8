/*
 * File: epp/abi_host.h
 *
 * The host callback table: everything a plugin may ask of eppd. The host passes a
 * pointer to one table to the plugin's entry point; the table and its functions stay
 * valid until the library is unloaded, so a plugin may keep the pointer in a global.
 *
 * Rules for every callback:
 *  - It never throws and never calls back into the plugin.
 *  - Unless the comment says otherwise it may be called from any thread, concurrently.
 *  - Strings passed in are copied by the host when it keeps them.
 *  - Fields are appended in later minors: read one newer than the ABI you built against
 *    only after checking `struct_size` (EPP_HAS_FIELD(host, epp_host_api, field)).
 */
#ifndef EPP_ABI_HOST_H_
#define EPP_ABI_HOST_H_

#include "epp/abi_endpoint.h"
#include "epp/abi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kinds of node in the parameter tree. */
typedef int32_t epp_param_kind;
#define EPP_PARAM_NULL 0
#define EPP_PARAM_SCALAR 1 /* a YAML scalar: read it with the typed getters */
#define EPP_PARAM_LIST 2
#define EPP_PARAM_MAP 3

/* Kinds of metric. */
typedef int32_t epp_metric_type;
#define EPP_METRIC_COUNTER 0
#define EPP_METRIC_GAUGE 1
#define EPP_METRIC_HISTOGRAM 2

/* Which LoRA list a backend adapter adds a name to. */
typedef int32_t epp_lora_list;
#define EPP_LORA_ACTIVE 0
#define EPP_LORA_WAITING 1

/*
 * Description of a metric family a plugin registers. The host adds the label
 * `plugin_name` (the instance's configured name) to every series, so several instances of
 * one type can share a family.
 * OWNERSHIP: caller; the host copies everything during metric_register.
 */
typedef struct epp_metric_desc {
  uint32_t struct_size;
  epp_metric_type type;
  /* Full Prometheus name, e.g. "eppd_prefix_index_entries". */
  epp_str name;
  epp_str help;
  /* Label names beyond `plugin_name`. */
  const epp_str* label_names;
  size_t label_names_count;
  /* Histogram upper bounds in increasing order (ignored for other types). */
  const double* buckets;
  size_t buckets_count;
} epp_metric_desc;

typedef struct epp_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;

  /* ---- errors --------------------------------------------------------------------- */

  /* Records `message` as the error of the call that passed `error`. The host copies it.
   * Calling it again replaces the message. */
  void (*error_set)(epp_error_host_ptr error, epp_str message);

  /* ---- logging and time ----------------------------------------------------------- */

  /* Writes one structured log line attributed to `instance` (may be NULL during the entry
   * call) and, when `request` is not NULL, carrying that request's x-request-id. */
  void (*log)(epp_instance_host_ptr instance, epp_request_host_ptr request, epp_log_level level,
              epp_str message);
  /* True when a line at `level` would be written: check before building costly text. */
  bool (*log_enabled)(epp_log_level level);
  /* Monotonic clock in nanoseconds. In `eppd replay` this is virtual time. */
  int64_t (*now_ns)(void);
  /* Wall clock, nanoseconds since the Unix epoch. */
  int64_t (*wall_time_ns)(void);

  /* ---- parameters (valid during `create` only) ------------------------------------ */

  epp_param_kind (*param_kind)(epp_param_host_ptr node);
  /* "file:line:col" of the node in the config, for error messages. */
  epp_str (*param_location)(epp_param_host_ptr node);
  /* Child of a map by key. EPP_ERR_NOT_FOUND when absent (or `node` is not a map). */
  epp_status (*param_get)(epp_param_host_ptr node, epp_str key, epp_param_host_ptr* child);
  /* Number of entries of a list or map (0 for scalars and null). */
  size_t (*param_size)(epp_param_host_ptr node);
  /* The index-th entry of a list or map, and for a map its key. */
  epp_status (*param_at)(epp_param_host_ptr node, size_t index, epp_param_host_ptr* child,
                         epp_str* key);
  /* Typed reads of a scalar. EPP_ERR_INVALID_ARGUMENT when the scalar does not convert.
   * param_string's view is valid during `create`. */
  epp_status (*param_bool)(epp_param_host_ptr node, bool* out);
  epp_status (*param_int)(epp_param_host_ptr node, int64_t* out);
  epp_status (*param_double)(epp_param_host_ptr node, double* out);
  epp_status (*param_string)(epp_param_host_ptr node, epp_str* out);
  /* A duration: "200ms", "1.5s", "2m", "1h30m" (Go syntax) or a bare number of seconds. */
  epp_status (*param_duration_ns)(epp_param_host_ptr node, int64_t* out);
  /* A byte quantity: "512", "10Gi", "500Mi", "1G" (Kubernetes syntax). */
  epp_status (*param_bytes)(epp_param_host_ptr node, int64_t* out);

  /* ---- metrics -------------------------------------------------------------------- */

  /* Registers (or finds, when another instance registered the same name with the same
   * shape) a metric family for `instance`. Only during `create`. On failure writes a
   * message to `error` when it is not NULL. */
  epp_status (*metric_register)(epp_instance_host_ptr instance, const epp_metric_desc* desc,
                                epp_metric_host_ptr* out, epp_error_host_ptr error);
  /* The series of `metric` with these label values (same order and count as the
   * desc's label_names). Cheap to update; resolve once and keep it. */
  epp_status (*metric_series)(epp_metric_host_ptr metric, const epp_str* label_values,
                              size_t label_values_count, epp_series_host_ptr* out);
  /* Counter: add (v >= 0). Gauge: add (any sign). */
  void (*series_add)(epp_series_host_ptr series, double value);
  /* Gauge only. */
  void (*series_set)(epp_series_host_ptr series, double value);
  /* Histogram only. */
  void (*series_observe)(epp_series_host_ptr series, double value);

  /* ---- the request ---------------------------------------------------------------- */

  /* Value of request header `name` (lower-case), or {NULL,0} when absent. The view is
   * valid while the request is in flight. */
  epp_str (*request_header)(epp_request_host_ptr request, epp_str name);
  /* Adds or overwrites a header eppd sends upstream with the routing decision (e.g.
   * x-prefiller-host-port). Copied. Only before the decision is sent (filters, scorers,
   * pickers, profile handlers, pre_request). Setting x-gateway-destination-endpoint
   * ("ip:port[,ip:port...]") redirects the request: the value replaces eppd's pick in that
   * header and in the envoy.lb metadata (the pick still counts the request in flight). */
  epp_status (*request_set_header)(epp_request_host_ptr request, epp_str name, epp_str value);
  /* Chained prefix block hashes of the prompt for a block size in tokens (4 characters
   * per token when no token ids are known), at most `max_blocks`. Computed once per
   * request and block size and shared by every plugin that asks. The array is owned by
   * the host and valid while the request is in flight. */
  epp_status (*request_prefix_hashes)(epp_request_host_ptr request, uint32_t block_size_tokens,
                                      uint32_t max_blocks, const uint64_t** hashes, size_t* count);
  /* A uniformly random 64-bit value from the request's generator (deterministic for a
   * seed in `eppd replay`). */
  uint64_t (*request_random)(epp_request_host_ptr request);
  /* Attaches `state` to (request, instance), replacing (and destroying) any earlier one.
   * The host calls `destroy(state)` exactly once when the request ends (or on
   * replacement). `destroy` may be NULL. OWNERSHIP: passes to the host. */
  epp_status (*request_state_set)(epp_request_host_ptr request, epp_instance_host_ptr instance,
                                  void* state, void (*destroy)(void* state));
  /* The state attached to (request, instance), or NULL. OWNERSHIP: stays with the host. */
  void* (*request_state_get)(epp_request_host_ptr request, epp_instance_host_ptr instance);
  /* Publishes one value per endpoint under `key` for this request, for other plugins to
   * read (a producer's per-endpoint prefix match, say). Copied. A later put under the
   * same key replaces earlier values for the same endpoints. */
  epp_status (*request_data_put)(epp_request_host_ptr request, epp_str key,
                                 const uint64_t* endpoint_ids, const double* values, size_t count);
  /* Reads `key` for each endpoint of `endpoints` into values[i] (NaN where nothing was
   * put). EPP_ERR_NOT_FOUND when nothing at all was put under `key`. */
  epp_status (*request_data_get)(epp_request_host_ptr request, epp_str key,
                                 const epp_endpoint_list* endpoints, double* values);
  /* Every endpoint of the data snapshot the request uses, candidates or not. Valid while
   * the request is in flight. */
  epp_status (*request_pool)(epp_request_host_ptr request, epp_endpoint_list* out);

  /* ---- backend adapter output (valid during parse_metrics) ------------------------ */

  /* Appends an adapter name to the active or waiting LoRA list. Copied. */
  void (*sink_add_lora)(epp_metrics_sink_host_ptr sink, epp_lora_list list, epp_str name);
  /* Adds an engine-specific label to the endpoint (shown in /endpoints). Copied. */
  void (*sink_set_label)(epp_metrics_sink_host_ptr sink, epp_str key, epp_str value);

  /* ---- ABI 1.1: state hand-over output (valid during export_state) ---------------- */
  /* Both only on the thread running the export_state that received the sink. */

  /* Names the format of the state being exported: a non-empty, plugin-defined tag for the
   * encoding and its version ("prefix-index/v1"), at most 256 bytes. Copied; a later call
   * replaces it. EPP_ERR_INVALID_ARGUMENT for an empty or longer tag or a bad sink. */
  epp_status (*state_sink_set_format)(epp_state_sink_host_ptr sink, epp_str format);
  /* Appends a copy of `data` to the exported state. EPP_ERR_OUT_OF_RANGE when the state
   * would outgrow the host's limit (eppd: 1 GiB); the hand-over then fails as a whole, so
   * the export should return that status. OWNERSHIP: `data` stays the caller's. */
  epp_status (*state_sink_write)(epp_state_sink_host_ptr sink, epp_bytes data);

  /* ---- ABI 1.2: the response to the client ---------------------------------------- */

  /* Adds or overwrites a header of the response eppd sends back to the client with the
   * model server's response headers (a session token, say). Copied; the name is
   * lower-cased. Callable from scheduling until the request's response_headers hooks have
   * run; later it returns EPP_ERR_UNAVAILABLE (the headers are gone). An empty name or a
   * pseudo-header (":status") is EPP_ERR_INVALID_ARGUMENT. */
  epp_status (*response_set_header)(epp_request_host_ptr request, epp_str name, epp_str value);

  /* ---- ABI 1.3: KV-cache events --------------------------------------------------- */

  /* Asks the host to follow every endpoint's KV-cache event publisher (ZeroMQ PUB on the
   * endpoint's address at `port`, vLLM's wire format, topics starting with
   * `topic_filter`; "" takes all) and to deliver the decoded batches to this instance's
   * data hook `kv_events`. Only during `create`. A later call replaces the earlier one.
   * Instances asking for the same port share one subscription. EPP_ERR_INVALID_ARGUMENT
   * for a port outside 1-65535 or outside `create` (with a message in `error` when it is
   * not NULL). OWNERSHIP: `topic_filter` is copied. */
  epp_status (*kv_events_subscribe)(epp_instance_host_ptr instance, int32_t port,
                                    epp_str topic_filter, epp_error_host_ptr error);
} epp_host_api;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_HOST_H_ */

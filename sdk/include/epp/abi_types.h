/*
 * File: epp/abi_types.h
 *
 * Basic types of the eppd plugin ABI: versions, status codes, string and byte views and
 * the opaque handles each side hands the other. Pure C: only <stdint.h>, <stddef.h> and
 * <stdbool.h>.
 *
 * Naming: `epp_` prefix everywhere. A handle whose name ends in `_host_ptr` is owned by
 * the host (eppd) and opaque to the plugin; one ending in `_plugin_ptr` is owned by the
 * plugin and opaque to the host. Enumerations are `int32_t` typedefs with `#define`d
 * values so their size never depends on the compiler.
 *
 * See sdk/VERSIONING.md for what may change in a minor version.
 */
#ifndef EPP_ABI_TYPES_H_
#define EPP_ABI_TYPES_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version of these headers. A host accepts a plugin whose major equals its own and
 * whose minor is not newer than its own. */
#define EPP_ABI_MAJOR 1
#define EPP_ABI_MINOR 3

/* Symbol visibility for the one entry point a plugin exports. */
#if defined(_WIN32)
#define EPP_EXPORT __declspec(dllexport)
#else
#define EPP_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------- */
/* Status codes. Every fallible call returns one.                                      */
/* ---------------------------------------------------------------------------------- */
typedef int32_t epp_status;
#define EPP_OK 0
/* A parameter or argument is wrong; the message says which. */
#define EPP_ERR_INVALID_ARGUMENT 1
/* Something that should not happen happened (a C++ exception caught at the boundary). */
#define EPP_ERR_INTERNAL 2
/* A needed input is absent (no metrics yet, no tokenizer, no such key). */
#define EPP_ERR_NOT_FOUND 3
/* The plugin cannot serve this request now; the host follows its fallback. */
#define EPP_ERR_UNAVAILABLE 4
/* The call is not supported by this plugin or host. */
#define EPP_ERR_UNIMPLEMENTED 5
/* An output buffer is too small. */
#define EPP_ERR_OUT_OF_RANGE 6

/* ---------------------------------------------------------------------------------- */
/* Views. Neither side owns what a view points at; a view is valid for the duration of */
/* the call that passes it unless the doc comment of that call says otherwise.         */
/* ---------------------------------------------------------------------------------- */

/* UTF-8 text, not NUL-terminated. {NULL, 0} is the empty (or absent) string. */
typedef struct epp_str {
  const char* ptr;
  size_t len;
} epp_str;

/* Raw bytes. */
typedef struct epp_bytes {
  const uint8_t* ptr;
  size_t len;
} epp_bytes;

/* One header or label: lower-case key for headers, key as written for labels. */
typedef struct epp_kv {
  epp_str key;
  epp_str value;
} epp_kv;

/* ---------------------------------------------------------------------------------- */
/* Opaque handles. Each is a distinct struct type so the compiler catches one passed   */
/* where another kind is expected.                                                      */
/* ---------------------------------------------------------------------------------- */

/* The host's record of one plugin instance: passed to `create`, used for logging and
 * metric registration. OWNERSHIP: host; valid from `create` until the instance's
 * `destroy` returns. */
typedef struct epp_instance_host_s* epp_instance_host_ptr;

/* The plugin's instance object returned by `create`. OWNERSHIP: plugin; the host passes
 * it back to every call on that instance and to `destroy` exactly once. */
typedef struct epp_instance_plugin_s* epp_instance_plugin_ptr;

/* One in-flight request. OWNERSHIP: host; valid for the duration of the call that passes
 * it (the same handle value is passed to every hook of one request). */
typedef struct epp_request_host_s* epp_request_host_ptr;

/* A node of the read-only parameter tree. OWNERSHIP: host; valid during `create` only.
 * A plugin copies what it needs. */
typedef struct epp_param_host_s* epp_param_host_ptr;

/* Where a call writes its error message. OWNERSHIP: host; valid during the call that
 * passes it. The host copies the message (see epp_host_api.error_set). */
typedef struct epp_error_host_s* epp_error_host_ptr;

/* A metric family registered by an instance. OWNERSHIP: host; valid until the instance
 * that registered it is destroyed. */
typedef struct epp_metric_host_s* epp_metric_host_ptr;

/* One labelled series of a metric family. OWNERSHIP: host; same lifetime as its family.
 * Resolve a series once (at create time or first use) and keep it: updating it is cheap. */
typedef struct epp_series_host_s* epp_series_host_ptr;

/* Where a backend adapter writes the LoRA lists and labels it parses. OWNERSHIP: host;
 * valid during the parse call. */
typedef struct epp_metrics_sink_host_s* epp_metrics_sink_host_ptr;

/* Per-band state of a fairness policy. OWNERSHIP: plugin; created and destroyed by the
 * policy's own callbacks. */
typedef struct epp_band_state_plugin_s* epp_band_state_plugin_ptr;

/* Where an instance's export_state writes the state it hands to its successor (ABI 1.1,
 * see abi_state_handover.h). OWNERSHIP: host; valid during the export_state call that
 * passes it. The host copies everything written to it. */
typedef struct epp_state_sink_host_s* epp_state_sink_host_ptr;

/* ---------------------------------------------------------------------------------- */
/* Small enumerations shared by several headers.                                       */
/* ---------------------------------------------------------------------------------- */

typedef int32_t epp_log_level;
#define EPP_LOG_TRACE 0
#define EPP_LOG_DEBUG 1
#define EPP_LOG_INFO 2
#define EPP_LOG_WARN 3
#define EPP_LOG_ERROR 4

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_TYPES_H_ */

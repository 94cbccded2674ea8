/*
 * File: epp/abi_plugin.h
 *
 * The plugin descriptor and the entry point: how a library tells eppd what it provides.
 *
 * A plugin library exports exactly two symbols:
 *
 *   const uint32_t epp_plugin_abi;    // EPP_ABI_PACK(major, minor) it was built against;
 *                                     // read before any plugin code runs
 *   const epp_plugin_descriptor* epp_plugin_entry(const epp_entry_args* args);
 *
 * The host loads the library RTLD_NOW | RTLD_LOCAL, checks `epp_plugin_abi`, calls
 * `epp_plugin_entry` once, and validates the descriptor. Rules:
 *  - Major differs from the host's: refused. Minor newer than the host's: refused.
 *    Older minor: accepted; fields beyond a struct's `struct_size` count as absent.
 *  - Returning NULL refuses the load; the plugin should say why with
 *    args->host->error_set(args->error, ...).
 *  - Nothing may throw across this boundary.
 */
#ifndef EPP_ABI_PLUGIN_H_
#define EPP_ABI_PLUGIN_H_

#include "epp/abi_adapter.h"
#include "epp/abi_flowcontrol.h"
#include "epp/abi_hooks.h"
#include "epp/abi_host.h"
#include "epp/abi_routing.h"
#include "epp/abi_scheduling.h"
#include "epp/abi_state_handover.h"
#include "epp/abi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EPP_ABI_PACK(major, minor) ((((uint32_t)(major)) << 16) | ((uint32_t)(minor)&0xffffu))
#define EPP_ABI_PACKED_MAJOR(packed) ((uint16_t)((packed) >> 16))
#define EPP_ABI_PACKED_MINOR(packed) ((uint16_t)((packed)&0xffffu))

#define EPP_PLUGIN_ENTRY_SYMBOL "epp_plugin_entry"
#define EPP_PLUGIN_ABI_SYMBOL "epp_plugin_abi"

/* Bits of epp_type_descriptor.kinds: which kind tables a type provides. */
#define EPP_KIND_FILTER (1u << 0)
#define EPP_KIND_SCORER (1u << 1)
#define EPP_KIND_PICKER (1u << 2)
#define EPP_KIND_PROFILE_HANDLER (1u << 3)
#define EPP_KIND_ORDERING_POLICY (1u << 4)
#define EPP_KIND_FAIRNESS_POLICY (1u << 5)
#define EPP_KIND_SATURATION_DETECTOR (1u << 6)
#define EPP_KIND_TRAFFIC_SPLITTER (1u << 7)
#define EPP_KIND_BACKEND_ADAPTER (1u << 8)
#define EPP_KIND_REQUEST_HOOKS (1u << 9)
#define EPP_KIND_DATA_HOOKS (1u << 10)
/* A type that only holds configuration and state that other plugins use through hooks
 * (approx-prefix-cache-producer) sets no kind bit but REQUEST_HOOKS/DATA_HOOKS. */
/* ABI 1.1: the type hands its state to the instance that replaces it
 * (epp_type_descriptor.state_handover, see abi_state_handover.h). */
#define EPP_KIND_STATE_HANDOVER (1u << 11)

/*
 * What `create` receives.
 * OWNERSHIP: host; everything is valid during `create` only (copy what you keep), except
 * `instance`, which is valid until the instance's `destroy` returns.
 */
typedef struct epp_create_args {
  uint32_t struct_size;
  /* The host's record of this instance: keep it for log, metrics and request state. */
  epp_instance_host_ptr instance;
  /* Type name as written in the config (one of the descriptor's types). */
  epp_str type_name;
  /* Instance name (defaults to the type name). */
  epp_str instance_name;
  /* The `parameters:` map of this plugin in the config. Never NULL: a node of kind
   * EPP_PARAM_NULL when none were given. Validate every key: reject unknown ones. */
  epp_param_host_ptr params;
} epp_create_args;

/*
 * One plugin type a library provides (e.g. "queue-scorer").
 * OWNERSHIP: plugin; must stay valid and unchanged until the library is unloaded
 * (normally static data).
 */
typedef struct epp_type_descriptor {
  uint32_t struct_size;
  /* EPP_KIND_* bits; each set bit must have its table below and each table its bit. */
  uint32_t kinds;
  /* Type name used in configs: lower-case kebab-case, NUL-terminated, unique per host. */
  const char* type_name;
  /* One line for `eppd plugins list`; may be NULL. */
  const char* description;
  /* Creates an instance. Validates every parameter and returns NULL with a precise message
   * (write it with error_set, naming the parameter and its param_location) on any mistake.
   * May be called concurrently (a reload builds a snapshot while the old one serves). */
  epp_instance_plugin_ptr (*create)(const epp_create_args* args, epp_error_host_ptr error);
  /* Destroys an instance. Called exactly once per successful create, after the last call
   * on that instance has returned. Must join any thread the instance started. */
  void (*destroy)(epp_instance_plugin_ptr self);

  /* Kind tables, NULL when not provided. OWNERSHIP: plugin, static. */
  const epp_filter_v1* filter;
  const epp_scorer_v1* scorer;
  const epp_picker_v1* picker;
  const epp_profile_handler_v1* profile_handler;
  const epp_ordering_policy_v1* ordering_policy;
  const epp_fairness_policy_v1* fairness_policy;
  const epp_saturation_detector_v1* saturation_detector;
  const epp_traffic_splitter_v1* traffic_splitter;
  const epp_backend_adapter_v1* backend_adapter;
  const epp_request_hooks_v1* request_hooks;
  const epp_data_hooks_v1* data_hooks;

  /* ---- ABI 1.1 ---------------------------------------------------------------------- */

  /* State hand-over to a re-created instance (kind bit EPP_KIND_STATE_HANDOVER), NULL when
   * not offered. Absent for a plugin built against 1.0 (its struct_size ends before it).
   * OWNERSHIP: plugin, static. */
  const epp_state_handover_v1* state_handover;
} epp_type_descriptor;

/*
 * What a library provides.
 * OWNERSHIP: plugin; must stay valid and unchanged until the library is unloaded.
 */
typedef struct epp_plugin_descriptor {
  uint32_t struct_size;
  /* The ABI the plugin was built against: EPP_ABI_MAJOR / EPP_ABI_MINOR. */
  uint16_t abi_major;
  uint16_t abi_minor;
  /* Library name ("core-scorers") and semantic version ("1.2.0"), NUL-terminated. */
  const char* name;
  const char* version;
  /* One line; may be NULL. */
  const char* description;
  /* The types; each entry non-NULL. */
  const epp_type_descriptor* const* types;
  size_t types_count;
  /* Optional (may be NULL): called once after the last instance is destroyed and before
   * the library is unloaded. Must join any thread the library started. */
  void (*shutdown)(void);
} epp_plugin_descriptor;

/*
 * Arguments of the entry point.
 * OWNERSHIP: host. `host` stays valid until the library is unloaded (keep it in a global);
 * `error` is valid during the entry call only.
 */
typedef struct epp_entry_args {
  uint32_t struct_size;
  uint16_t host_abi_major;
  uint16_t host_abi_minor;
  const epp_host_api* host;
  epp_error_host_ptr error;
} epp_entry_args;

typedef const epp_plugin_descriptor* (*epp_plugin_entry_fn)(const epp_entry_args* args);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_PLUGIN_H_ */

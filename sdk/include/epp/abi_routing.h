/*
 * File: epp/abi_routing.h
 *
 * Function table of the traffic splitter kind: chooses the target model of a request
 * among the weighted targets of the routing rule it matched (weighted, canary, sticky).
 */
#ifndef EPP_ABI_ROUTING_H_
#define EPP_ABI_ROUTING_H_

#include "epp/abi_request.h"
#include "epp/abi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One target of a routing rule. OWNERSHIP: host; valid during the call. */
typedef struct epp_split_target {
  uint32_t struct_size;
  /* Model name the request is rewritten to. */
  epp_str model;
  /* Relative weight (>= 0) as configured. */
  double weight;
} epp_split_target;

/*
 * Traffic splitter. split() writes the index of the chosen target to `chosen`.
 * `request->target_model` is still the requested model at this point. A splitter that
 * must be stable for a user across reloads derives its choice from the request only
 * (a header hash), never from per-instance state.
 */
typedef struct epp_traffic_splitter_v1 {
  uint32_t struct_size;
  epp_status (*split)(epp_instance_plugin_ptr self, const epp_request_view* request,
                      const epp_split_target* const* targets, size_t targets_count,
                      uint32_t* chosen);
} epp_traffic_splitter_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_ROUTING_H_ */

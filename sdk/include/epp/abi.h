/*
 * File: epp/abi.h
 *
 * The eppd plugin ABI, version EPP_ABI_MAJOR.EPP_ABI_MINOR. Include this one header.
 *
 *   abi_types.h       versions, status codes, string views, opaque handles
 *   abi_endpoint.h    endpoint views and lists
 *   abi_request.h     request, response and scheduling-result views
 *   abi_host.h        the host callback table (logging, time, params, metrics, request)
 *   abi_scheduling.h  filter, scorer, picker, profile handler
 *   abi_flowcontrol.h ordering policy, fairness policy, saturation detector
 *   abi_routing.h     traffic splitter
 *   abi_adapter.h     backend protocol adapter
 *   abi_hooks.h       request-lifecycle and data hooks
 *   abi_state_handover.h  state hand-over to a re-created instance (ABI 1.1)
 *   abi_plugin.h      type and plugin descriptors, the entry point
 *
 * A minimal C plugin:
 *
 *   #include <epp/abi.h>
 *   static const epp_host_api* g_host;
 *   static const epp_scorer_v1 kScorer = {sizeof kScorer, EPP_SCORER_DISTRIBUTION, score};
 *   static const epp_type_descriptor kType = {.struct_size = sizeof kType, ...};
 *   EPP_EXPORT const uint32_t epp_plugin_abi = EPP_ABI_PACK(EPP_ABI_MAJOR, EPP_ABI_MINOR);
 *   EPP_EXPORT const epp_plugin_descriptor* epp_plugin_entry(const epp_entry_args* a) {...}
 *
 * See sdk/README.md and sdk/examples/c/.
 */
#ifndef EPP_ABI_H_
#define EPP_ABI_H_

#include "epp/abi_adapter.h"
#include "epp/abi_endpoint.h"
#include "epp/abi_flowcontrol.h"
#include "epp/abi_hooks.h"
#include "epp/abi_host.h"
#include "epp/abi_plugin.h"
#include "epp/abi_request.h"
#include "epp/abi_routing.h"
#include "epp/abi_scheduling.h"
#include "epp/abi_state_handover.h"
#include "epp/abi_types.h"

#endif /* EPP_ABI_H_ */

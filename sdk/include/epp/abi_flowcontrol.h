/*
 * File: epp/abi_flowcontrol.h
 *
 * Function tables of the flow-control kinds: ordering policy, fairness policy and
 * saturation detector. Flow control queues requests per (fairness id, priority) flow in
 * strict priority bands; within a band the fairness policy picks the flow and the
 * ordering policy orders that flow's queue; the saturation detector gates dispatch.
 */
#ifndef EPP_ABI_FLOWCONTROL_H_
#define EPP_ABI_FLOWCONTROL_H_

#include "epp/abi_endpoint.h"
#include "epp/abi_request.h"
#include "epp/abi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A request waiting in a flow-control queue.
 * OWNERSHIP: host; valid during the call that passes it.
 */
typedef struct epp_queued_request {
  uint32_t struct_size;
  int32_t priority;
  const epp_request_view* request;
  /* Enqueue order within the process (strictly increasing). */
  uint64_t sequence;
  /* Monotonic enqueue time and the time its TTL expires (INT64_MAX: none). */
  int64_t enqueued_ns;
  int64_t deadline_ns;
  /* Bytes the request holds in the queue (its body). */
  int64_t byte_size;
} epp_queued_request;

/* Queue shapes an ordering policy may require. */
#define EPP_QUEUE_CAP_FIFO (1u << 0)     /* dispatch in arrival order: a plain list */
#define EPP_QUEUE_CAP_PRIORITY (1u << 1) /* ordered by `less`: a heap */

/*
 * Ordering policy: orders one flow's queue.
 * less(a, b) is true when a must dispatch before b; it must be a strict weak order that
 * does not change while both are queued, must not fail and must be fast (it runs inside
 * heap operations).
 */
typedef struct epp_ordering_policy_v1 {
  uint32_t struct_size;
  /* EPP_QUEUE_CAP_* the policy needs. */
  uint32_t queue_capabilities;
  bool (*less)(epp_instance_plugin_ptr self, const epp_queued_request* a,
               const epp_queued_request* b);
} epp_ordering_policy_v1;

/*
 * One non-empty flow of a priority band, as a fairness policy sees it.
 * OWNERSHIP: host; valid during the call that passes it.
 */
typedef struct epp_flow_view {
  uint32_t struct_size;
  int32_t priority;
  epp_str fairness_id;
  size_t queued_count;
  int64_t queued_bytes;
  /* The request the flow's ordering policy would dispatch next. */
  const epp_queued_request* head;
  /* Monotonic time this flow last dispatched (0: never) and how many it dispatched. */
  int64_t last_dispatch_ns;
  uint64_t dispatched_total;
} epp_flow_view;

/*
 * Fairness policy: picks which flow of a band dispatches next.
 * band_state_new/band_state_destroy (both optional) give the policy state per band (a
 * round-robin cursor). Calls for one band are serialised by the host; different bands may
 * be served concurrently. pick_flow writes an index into `flows` to `picked`.
 * OWNERSHIP: band state belongs to the plugin; the host calls band_state_destroy exactly
 * once for every state band_state_new returned.
 */
typedef struct epp_fairness_policy_v1 {
  uint32_t struct_size;
  epp_band_state_plugin_ptr (*band_state_new)(epp_instance_plugin_ptr self, int32_t priority);
  void (*band_state_destroy)(epp_instance_plugin_ptr self, epp_band_state_plugin_ptr state);
  epp_status (*pick_flow)(epp_instance_plugin_ptr self, epp_band_state_plugin_ptr state,
                          const epp_flow_view* const* flows, size_t flows_count, uint32_t* picked);
} epp_fairness_policy_v1;

/*
 * Saturation detector: how full the pool is. *saturation >= 1.0 means saturated: flow
 * control holds queued requests and legacy admission sheds sheddable ones. `endpoints` is
 * the pool (healthy endpoints of the current data snapshot); `now_ns` is the host clock.
 * A detector may also provide a filter table: it then drops endpoints above its
 * thresholds, and should keep all of them rather than none (fail open).
 */
typedef struct epp_saturation_detector_v1 {
  uint32_t struct_size;
  epp_status (*saturation)(epp_instance_plugin_ptr self, const epp_endpoint_list* endpoints,
                           int64_t now_ns, double* saturation);
} epp_saturation_detector_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_FLOWCONTROL_H_ */

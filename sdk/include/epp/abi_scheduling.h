/*
 * File: epp/abi_scheduling.h
 *
 * Function tables of the scheduling kinds: filter, scorer, picker and profile handler.
 *
 * Every call is batch-shaped: one call per plugin per scheduling step over the whole
 * candidate list. `self` is the instance the type's `create` returned. Calls on one
 * instance may arrive from several threads at once; a plugin guards its own shared state.
 * No call may throw or block on I/O.
 */
#ifndef EPP_ABI_SCHEDULING_H_
#define EPP_ABI_SCHEDULING_H_

#include "epp/abi_endpoint.h"
#include "epp/abi_request.h"
#include "epp/abi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Filter: narrows the candidate set.
 * `keep` has `candidates->count` entries, all set to 1 by the host; the filter clears the
 * entries of the endpoints it drops. An empty result is legal (a decision tree's
 * onFailure branch follows it). OWNERSHIP: `keep` is host memory, valid during the call.
 */
typedef struct epp_filter_v1 {
  uint32_t struct_size;
  epp_status (*filter)(epp_instance_plugin_ptr self, const epp_request_view* request,
                       const epp_endpoint_list* candidates, uint8_t* keep);
} epp_filter_v1;

/* What a scorer measures (informative: shown in /plugins and explanations). */
typedef int32_t epp_scorer_category;
#define EPP_SCORER_AFFINITY 0     /* prefers endpoints that hold something: cache, adapter */
#define EPP_SCORER_DISTRIBUTION 1 /* spreads load */
#define EPP_SCORER_BALANCE 2      /* mixes both */

/*
 * Scorer: rates every candidate in [0, 1] (higher is better).
 * `scores` has `candidates->count` entries, zeroed by the host. The host clamps values to
 * [0, 1], multiplies by the profile's weight and sums over scorers; a NaN fails the step
 * and is counted against the plugin. OWNERSHIP: `scores` is host memory, valid during the
 * call.
 */
typedef struct epp_scorer_v1 {
  uint32_t struct_size;
  epp_scorer_category category;
  epp_status (*score)(epp_instance_plugin_ptr self, const epp_request_view* request,
                      const epp_endpoint_list* candidates, double* scores);
} epp_scorer_v1;

/*
 * Picker: chooses the targets among scored candidates, primary first then fallbacks.
 * `scores[i]` is the weighted sum for candidate i. `picked` has room for
 * `*picked_count` indices (on entry: the capacity, equal to candidates->count); the picker
 * writes candidate indices (each < candidates->count, no repeats) and sets
 * `*picked_count` to how many it wrote. Ties should be broken with
 * epp_host_api.request_random so replays stay deterministic. OWNERSHIP: `picked` is host
 * memory, valid during the call.
 */
typedef struct epp_picker_v1 {
  uint32_t struct_size;
  epp_status (*pick)(epp_instance_plugin_ptr self, const epp_request_view* request,
                     const epp_endpoint_list* candidates, const double* scores, uint32_t* picked,
                     size_t* picked_count);
} epp_picker_v1;

/*
 * Profile handler: decides which scheduling profiles run for a request and which result
 * is primary.
 *
 * pick_profiles is called repeatedly. `profile_names` are all profiles of the config in
 * config order; `results` are the results of every profile that already ran, in run
 * order. The handler sets run[i] = 1 (host memory, zeroed, `profiles_count` entries) for
 * each profile to run next; setting none ends the loop. A profile never runs twice.
 *
 * process_results chooses the primary among the results (index into `results`).
 */
typedef struct epp_profile_handler_v1 {
  uint32_t struct_size;
  epp_status (*pick_profiles)(epp_instance_plugin_ptr self, const epp_request_view* request,
                              const epp_str* profile_names, size_t profiles_count,
                              const epp_profile_result* const* results, size_t results_count,
                              uint8_t* run);
  epp_status (*process_results)(epp_instance_plugin_ptr self, const epp_request_view* request,
                                const epp_profile_result* const* results, size_t results_count,
                                uint32_t* primary_index);
} epp_profile_handler_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* EPP_ABI_SCHEDULING_H_ */

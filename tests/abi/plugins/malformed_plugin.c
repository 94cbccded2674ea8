/*
 * A plugin whose descriptor breaks one rule, chosen with MALFORMED_CASE:
 *   1  plugin descriptor struct_size too small
 *   2  NULL plugin name
 *   3  version that is not semver ("1.0")
 *   4  type name that is not kebab-case ("Bad_Scorer")
 *   5  kinds claims a filter but there is no filter table
 */
#include <epp/abi.h>

#ifndef MALFORMED_CASE
#error "define MALFORMED_CASE"
#endif

static epp_instance_plugin_ptr create(const epp_create_args* args, epp_error_host_ptr error) {
  (void)args;
  (void)error;
  return NULL;
}

static void destroy(epp_instance_plugin_ptr self) { (void)self; }

static epp_status score(epp_instance_plugin_ptr self, const epp_request_view* request,
                        const epp_endpoint_list* candidates, double* scores) {
  (void)self;
  (void)request;
  (void)candidates;
  (void)scores;
  return EPP_OK;
}

static const epp_scorer_v1 kScorer = {sizeof kScorer, EPP_SCORER_DISTRIBUTION, score};
static const epp_type_descriptor kType = {
    .struct_size = sizeof kType,
    .kinds = MALFORMED_CASE == 5 ? (EPP_KIND_SCORER | EPP_KIND_FILTER) : EPP_KIND_SCORER,
    .type_name = MALFORMED_CASE == 4 ? "Bad_Scorer" : "malformed-scorer",
    .create = create,
    .destroy = destroy,
    .scorer = &kScorer,
};
static const epp_type_descriptor* const kTypes[] = {&kType};
static const epp_plugin_descriptor kDescriptor = {
    .struct_size = MALFORMED_CASE == 1 ? 8 : sizeof kDescriptor,
    .abi_major = EPP_ABI_MAJOR,
    .abi_minor = EPP_ABI_MINOR,
    .name = MALFORMED_CASE == 2 ? NULL : "malformed",
    .version = MALFORMED_CASE == 3 ? "1.0" : "1.0.0",
    .types = kTypes,
    .types_count = 1,
};

EPP_EXPORT const uint32_t epp_plugin_abi = EPP_ABI_PACK(EPP_ABI_MAJOR, EPP_ABI_MINOR);

EPP_EXPORT const epp_plugin_descriptor* epp_plugin_entry(const epp_entry_args* args) {
  (void)args;
  return &kDescriptor;
}

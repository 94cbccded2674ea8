/*
 * The plugin the hot-reload tests replace while eppd serves: a scorer, written against
 * epp/abi.h alone (plain C: nothing pins it in memory, so a released version really is
 * unmapped), built in variants that differ in which candidate they prefer:
 *   RS_PREFER    0: the first candidate, 1: the second, 2: the last
 *   RS_VERSION   the descriptor's version string
 *   RS_FAULT     score() fails (EPP_ERR_INTERNAL): a broken release the reload's dry run
 *                must catch
 * Each variant scores its preferred candidate 1 and the others 0, so the endpoint a
 * request goes to tells which library version decided it.
 */
#include <epp/abi.h>
#include <string.h>

#ifndef RS_PREFER
#define RS_PREFER 0
#endif
#ifndef RS_VERSION
#define RS_VERSION "1.0.0"
#endif

static const epp_host_api* g_host;
static int g_instance;

static epp_instance_plugin_ptr create(const epp_create_args* args, epp_error_host_ptr error) {
  if (g_host->param_kind(args->params) != EPP_PARAM_NULL) {
    const char message[] = "reload-scorer takes no parameters";
    epp_str text = {message, sizeof message - 1};
    g_host->error_set(error, text);
    return NULL;
  }
  return (epp_instance_plugin_ptr)&g_instance;
}

static void destroy(epp_instance_plugin_ptr self) { (void)self; }

static epp_status score(epp_instance_plugin_ptr self, const epp_request_view* request,
                        const epp_endpoint_list* candidates, double* scores) {
  (void)self;
  (void)request;
#ifdef RS_FAULT
  (void)candidates;
  (void)scores;
  return EPP_ERR_INTERNAL;
#endif
  size_t n = candidates->count;
  size_t preferred = RS_PREFER == 2 ? n - 1 : (size_t)RS_PREFER;
  for (size_t i = 0; i < n; ++i) scores[i] = i == preferred ? 1.0 : 0.0;
  return EPP_OK;
}

static const epp_scorer_v1 kScorer = {sizeof kScorer, EPP_SCORER_DISTRIBUTION, score};
static const epp_type_descriptor kType = {
    .struct_size = sizeof kType,
    .kinds = EPP_KIND_SCORER,
    .type_name = "reload-scorer",
    .description = "Prefers one candidate position; which one depends on the build",
    .create = create,
    .destroy = destroy,
    .scorer = &kScorer,
};
static const epp_type_descriptor* const kTypes[] = {&kType};
static const epp_plugin_descriptor kDescriptor = {
    .struct_size = sizeof kDescriptor,
    .abi_major = EPP_ABI_MAJOR,
    .abi_minor = EPP_ABI_MINOR,
    .name = "reload-test-plugin",
    .version = RS_VERSION,
    .description = "Hot-reload test plugin",
    .types = kTypes,
    .types_count = 1,
};

EPP_EXPORT const uint32_t epp_plugin_abi = EPP_ABI_PACK(EPP_ABI_MAJOR, EPP_ABI_MINOR);

EPP_EXPORT const epp_plugin_descriptor* epp_plugin_entry(const epp_entry_args* args) {
  g_host = args->host;
  return &kDescriptor;
}

/*
 * example-load-scorer: an eppd scorer written in plain C11 against the C ABI alone.
 *
 * Score = 1 / (1 + running + waitingWeight * waiting): idle endpoints score 1, busy ones
 * approach 0. Parameters:
 *   waitingWeight  number >= 0, default 2.0  (a queued request costs more than a running one)
 */
#include <epp/abi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const epp_host_api* g_host;

typedef struct load_scorer {
  double waiting_weight;
} load_scorer;

static epp_str cstr(const char* s) {
  epp_str v = {s, strlen(s)};
  return v;
}

/* Formats "<location>: <message>" into the host's error sink. */
static void fail(epp_error_host_ptr error, epp_param_host_ptr node, const char* message) {
  char buf[512];
  epp_str loc = g_host->param_location(node);
  int n = snprintf(buf, sizeof buf, "%.*s: %s", (int)loc.len, loc.ptr ? loc.ptr : "", message);
  epp_str s = {buf, n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1};
  g_host->error_set(error, s);
}

static epp_instance_plugin_ptr create(const epp_create_args* args, epp_error_host_ptr error) {
  double weight = 2.0;
  epp_param_host_ptr params = args->params;
  if (g_host->param_kind(params) == EPP_PARAM_MAP) {
    size_t n = g_host->param_size(params);
    for (size_t i = 0; i < n; ++i) {
      epp_param_host_ptr child = NULL;
      epp_str key = {NULL, 0};
      g_host->param_at(params, i, &child, &key);
      if (key.len == strlen("waitingWeight") && memcmp(key.ptr, "waitingWeight", key.len) == 0) {
        if (g_host->param_double(child, &weight) != EPP_OK || weight < 0) {
          fail(error, child, "parameter \"waitingWeight\" must be a number >= 0");
          return NULL;
        }
      } else {
        fail(error, child, "unknown parameter");
        return NULL;
      }
    }
  } else if (g_host->param_kind(params) != EPP_PARAM_NULL) {
    fail(error, params, "parameters must be a map");
    return NULL;
  }
  load_scorer* self = malloc(sizeof *self);
  if (self == NULL) {
    g_host->error_set(error, cstr("out of memory"));
    return NULL;
  }
  self->waiting_weight = weight;
  return (epp_instance_plugin_ptr)self;
}

static void destroy(epp_instance_plugin_ptr self) { free(self); }

static epp_status score(epp_instance_plugin_ptr instance, const epp_request_view* request,
                        const epp_endpoint_list* candidates, double* scores) {
  const load_scorer* self = (const load_scorer*)instance;
  (void)request;
  for (size_t i = 0; i < candidates->count; ++i) {
    const epp_endpoint_view* e = candidates->items[i];
    double load = (double)e->running_requests + self->waiting_weight * (double)e->waiting_requests;
    scores[i] = 1.0 / (1.0 + load);
  }
  return EPP_OK;
}

static const epp_scorer_v1 kScorer = {sizeof(epp_scorer_v1), EPP_SCORER_DISTRIBUTION, score};

static const epp_type_descriptor kType = {
    .struct_size = sizeof(epp_type_descriptor),
    .kinds = EPP_KIND_SCORER,
    .type_name = "example-load-scorer",
    .description = "1 / (1 + running + waitingWeight * waiting)",
    .create = create,
    .destroy = destroy,
    .scorer = &kScorer,
};

static const epp_type_descriptor* const kTypes[] = {&kType};

static const epp_plugin_descriptor kPlugin = {
    .struct_size = sizeof(epp_plugin_descriptor),
    .abi_major = EPP_ABI_MAJOR,
    .abi_minor = EPP_ABI_MINOR,
    .name = "example-c",
    .version = "1.0.0",
    .description = "The SDK's C example: a load scorer",
    .types = kTypes,
    .types_count = 1,
    .shutdown = NULL,
};

EPP_EXPORT const uint32_t epp_plugin_abi = EPP_ABI_PACK(EPP_ABI_MAJOR, EPP_ABI_MINOR);

EPP_EXPORT const epp_plugin_descriptor* epp_plugin_entry(const epp_entry_args* args) {
  if (args == NULL || args->host == NULL) return NULL;
  if (args->host_abi_major != EPP_ABI_MAJOR) {
    args->host->error_set(args->error, cstr("example-c needs ABI major 1"));
    return NULL;
  }
  g_host = args->host;
  return &kPlugin;
}

/*
 * A plugin built against an older, shorter layout: every struct declares a struct_size
 * that stops before fields this header has, and those fields hold values the host must
 * never see (a picker table, an adapter's detect, hooks, shutdown, and the 1.1 state
 * hand-over). A host that reads past struct_size reports a kinds mismatch, shows the hooks,
 * calls the shutdown or hands state over. `truncated-v1-0` has exactly the ABI 1.0 type
 * descriptor: the layout of every plugin built before 1.1.
 */
#include <epp/abi.h>
#include <stddef.h>
#include <string.h>

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type*)0)->field))

static const epp_host_api* g_host;

static void log_line(const char* message) {
  epp_str text = {message, strlen(message)};
  g_host->log(NULL, NULL, EPP_LOG_INFO, text);
}

static int g_instance;

static epp_instance_plugin_ptr create(const epp_create_args* args, epp_error_host_ptr error) {
  (void)args;
  (void)error;
  return (epp_instance_plugin_ptr)&g_instance;
}

static void destroy(epp_instance_plugin_ptr self) { (void)self; }

static epp_status score(epp_instance_plugin_ptr self, const epp_request_view* request,
                        const epp_endpoint_list* candidates, double* scores) {
  (void)self;
  (void)request;
  for (size_t i = 0; i < candidates->count; ++i) scores[i] = 0.5;
  return EPP_OK;
}

static epp_status pick(epp_instance_plugin_ptr self, const epp_request_view* request,
                       const epp_endpoint_list* candidates, const double* scores, uint32_t* picked,
                       size_t* picked_count) {
  (void)self;
  (void)request;
  (void)candidates;
  (void)scores;
  (void)picked;
  *picked_count = 0;
  return EPP_OK;
}

static epp_status info(epp_instance_plugin_ptr self, epp_backend_info* out) {
  (void)self;
  (void)out;
  return EPP_OK;
}

static epp_status parse_metrics(epp_instance_plugin_ptr self, epp_bytes body, epp_str content_type,
                                epp_endpoint_metrics* out, epp_metrics_sink_host_ptr sink,
                                epp_error_host_ptr error) {
  (void)self;
  (void)body;
  (void)content_type;
  (void)out;
  (void)sink;
  (void)error;
  return EPP_OK;
}

static epp_status check_health(epp_instance_plugin_ptr self, int32_t http_status, epp_bytes body,
                               epp_health* health) {
  (void)self;
  (void)http_status;
  (void)body;
  *health = EPP_HEALTH_HEALTHY;
  return EPP_OK;
}

static epp_status detect(epp_instance_plugin_ptr self, epp_bytes models_body, bool* matches) {
  (void)self;
  (void)models_body;
  *matches = true;
  return EPP_OK;
}

static epp_status prepare_request(epp_instance_plugin_ptr self, const epp_request_view* request,
                                  const epp_endpoint_list* candidates) {
  (void)self;
  (void)request;
  (void)candidates;
  return EPP_OK;
}

static void pre_request(epp_instance_plugin_ptr self, const epp_request_view* request,
                        const epp_scheduling_result* result) {
  (void)self;
  (void)request;
  (void)result;
}

static void request_complete(epp_instance_plugin_ptr self, const epp_request_view* request,
                             const epp_response_view* response, epp_request_outcome outcome) {
  (void)self;
  (void)request;
  (void)response;
  (void)outcome;
}

static void endpoints_removed(epp_instance_plugin_ptr self, const uint64_t* endpoint_ids,
                              size_t count) {
  (void)self;
  (void)endpoint_ids;
  (void)count;
}

static epp_status export_state(epp_instance_plugin_ptr self, epp_state_sink_host_ptr sink,
                               epp_error_host_ptr error) {
  (void)self;
  (void)sink;
  (void)error;
  log_line("truncated export called");
  return EPP_OK;
}

static epp_status import_state(epp_instance_plugin_ptr self, epp_str format, epp_bytes data,
                               epp_error_host_ptr error) {
  (void)self;
  (void)format;
  (void)data;
  (void)error;
  log_line("truncated import called");
  return EPP_OK;
}

static void shutdown_library(void) { log_line("truncated shutdown called"); }

static const epp_scorer_v1 kScorer = {sizeof kScorer, EPP_SCORER_DISTRIBUTION, score};
static const epp_picker_v1 kPicker = {sizeof kPicker, pick};
static const epp_request_hooks_v1 kAllHooks = {
    .struct_size = sizeof kAllHooks,
    .prepare_request = prepare_request,
    .pre_request = pre_request,
    .request_complete = request_complete,
};

/* Covers `scorer` but not `picker`, which still points at a valid table. */
static const epp_type_descriptor kScorerType = {
    .struct_size = END_OF(epp_type_descriptor, scorer),
    .kinds = EPP_KIND_SCORER,
    .type_name = "truncated-scorer",
    .create = create,
    .destroy = destroy,
    .scorer = &kScorer,
    .picker = &kPicker,
};

/* The adapter table stops before `detect`; the type stops before `request_hooks`. */
static const epp_backend_adapter_v1 kAdapter = {
    .struct_size = offsetof(epp_backend_adapter_v1, detect),
    .info = info,
    .parse_metrics = parse_metrics,
    .check_health = check_health,
    .detect = detect,
};
static const epp_type_descriptor kAdapterType = {
    .struct_size = END_OF(epp_type_descriptor, backend_adapter),
    .kinds = EPP_KIND_BACKEND_ADAPTER,
    .type_name = "truncated-adapter",
    .create = create,
    .destroy = destroy,
    .backend_adapter = &kAdapter,
    .request_hooks = &kAllHooks,
};

/* A hooks table that declares only prepare_request and pre_request. */
static const epp_request_hooks_v1 kShortHooks = {
    .struct_size = END_OF(epp_request_hooks_v1, pre_request),
    .prepare_request = prepare_request,
    .pre_request = pre_request,
    .request_complete = request_complete,
};
static const epp_state_handover_v1 kHandover = {sizeof kHandover, export_state, import_state};
static const epp_type_descriptor kHooksType = {
    .struct_size = END_OF(epp_type_descriptor, request_hooks),
    .kinds = EPP_KIND_REQUEST_HOOKS,
    .type_name = "truncated-hooks",
    .create = create,
    .destroy = destroy,
    .request_hooks = &kShortHooks,
    .state_handover = &kHandover,
};

/* The whole ABI 1.0 type descriptor, ending with data_hooks; the 1.1 hand-over lies beyond. */
static const epp_data_hooks_v1 kDataHooks = {
    .struct_size = END_OF(epp_data_hooks_v1, kv_events),
    .endpoints_removed = endpoints_removed,
};
static const epp_type_descriptor kV10Type = {
    .struct_size = END_OF(epp_type_descriptor, data_hooks),
    .kinds = EPP_KIND_SCORER | EPP_KIND_DATA_HOOKS,
    .type_name = "truncated-v1-0",
    .create = create,
    .destroy = destroy,
    .scorer = &kScorer,
    .data_hooks = &kDataHooks,
    .state_handover = &kHandover,
};

static const epp_type_descriptor* const kTypes[] = {&kScorerType, &kAdapterType, &kHooksType,
                                                    &kV10Type};

/* Stops before `shutdown`. */
static const epp_plugin_descriptor kDescriptor = {
    .struct_size = END_OF(epp_plugin_descriptor, types_count),
    .abi_major = 1,
    .abi_minor = 0,
    .name = "truncated",
    .version = "0.9.0-rc.1+build.7",
    .types = kTypes,
    .types_count = 4,
    .shutdown = shutdown_library,
};

EPP_EXPORT const uint32_t epp_plugin_abi = EPP_ABI_PACK(1, 0);

EPP_EXPORT const epp_plugin_descriptor* epp_plugin_entry(const epp_entry_args* args) {
  g_host = args->host;
  return &kDescriptor;
}

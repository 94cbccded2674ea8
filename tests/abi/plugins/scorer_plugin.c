/*
 * A scorer plugin written directly against epp/abi.h (no C++ layer), varied with compile
 * definitions to produce the libraries the ABI tests load:
 *   SP_TYPE_NAME, SP_PLUGIN_NAME, SP_VERSION   strings of the descriptor
 *   SP_SCORE                                   what score() reports as its version
 *   SP_ABI_MAJOR/MINOR                         value of epp_plugin_abi
 *   SP_DESC_ABI_MAJOR/MINOR                    what the descriptor claims
 *   SP_NO_ENTRY, SP_NO_ABI_SYMBOL              leave out an exported symbol
 *   SP_INIT_FAIL                               the entry point refuses to load
 *
 * score() writes, for the first candidates: [SP_SCORE, creates so far, live instances,
 * the instance's `value` parameter], which lets tests see each library's own globals.
 */
#include <epp/abi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SP_TYPE_NAME
#define SP_TYPE_NAME "test-scorer"
#endif
#ifndef SP_PLUGIN_NAME
#define SP_PLUGIN_NAME "test-plugin"
#endif
#ifndef SP_VERSION
#define SP_VERSION "1.0.0"
#endif
#ifndef SP_SCORE
#define SP_SCORE 1.0
#endif
#ifndef SP_ABI_MAJOR
#define SP_ABI_MAJOR EPP_ABI_MAJOR
#endif
#ifndef SP_ABI_MINOR
#define SP_ABI_MINOR EPP_ABI_MINOR
#endif
#ifndef SP_DESC_ABI_MAJOR
#define SP_DESC_ABI_MAJOR SP_ABI_MAJOR
#endif
#ifndef SP_DESC_ABI_MINOR
#define SP_DESC_ABI_MINOR SP_ABI_MINOR
#endif

typedef struct scorer {
  int64_t value;
} scorer;

static const epp_host_api* g_host;
static int g_created;
static int g_live;

static epp_str str(const char* s) {
  epp_str out = {s, strlen(s)};
  return out;
}

static void log_line(const char* message) { g_host->log(NULL, NULL, EPP_LOG_INFO, str(message)); }

static void fail(epp_error_host_ptr error, const char* format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  g_host->error_set(error, str(message));
}

/* A copy of a host string view, NUL-terminated for printf. */
static const char* cstr(epp_str s, char* buffer, size_t size) {
  size_t n = s.len < size - 1 ? s.len : size - 1;
  if (n > 0) memcpy(buffer, s.ptr, n);
  buffer[n] = '\0';
  return buffer;
}

static epp_instance_plugin_ptr create(const epp_create_args* args, epp_error_host_ptr error) {
  char key_text[128];
  char location[256];
  int64_t value = 0;
  epp_param_kind kind = g_host->param_kind(args->params);
  if (kind == EPP_PARAM_MAP) {
    size_t count = g_host->param_size(args->params);
    for (size_t i = 0; i < count; ++i) {
      epp_param_host_ptr child = NULL;
      epp_str key = {NULL, 0};
      g_host->param_at(args->params, i, &child, &key);
      cstr(g_host->param_location(child), location, sizeof location);
      if (key.len == 5 && memcmp(key.ptr, "value", 5) == 0) {
        if (g_host->param_int(child, &value) != EPP_OK) {
          fail(error, "parameter 'value' at %s must be an integer", location);
          return NULL;
        }
      } else {
        fail(error, "unknown parameter '%s' at %s", cstr(key, key_text, sizeof key_text), location);
        return NULL;
      }
    }
  } else if (kind != EPP_PARAM_NULL) {
    fail(error, "parameters at %s must be a map",
         cstr(g_host->param_location(args->params), location, sizeof location));
    return NULL;
  }
  scorer* self = calloc(1, sizeof *self);
  if (self == NULL) {
    fail(error, "out of memory");
    return NULL;
  }
  self->value = value;
  ++g_created;
  ++g_live;
  return (epp_instance_plugin_ptr)self;
}

static void destroy(epp_instance_plugin_ptr self) {
  free(self);
  --g_live;
}

static epp_status score(epp_instance_plugin_ptr self, const epp_request_view* request,
                        const epp_endpoint_list* candidates, double* scores) {
  (void)request;
  const double report[4] = {SP_SCORE, g_created, g_live, (double)((scorer*)self)->value};
  for (size_t i = 0; i < candidates->count && i < 4; ++i) scores[i] = report[i];
  return EPP_OK;
}

static void shutdown_library(void) { log_line("shutdown called: " SP_PLUGIN_NAME); }

static const epp_scorer_v1 kScorer = {sizeof kScorer, EPP_SCORER_DISTRIBUTION, score};
static const epp_type_descriptor kType = {
    .struct_size = sizeof kType,
    .kinds = EPP_KIND_SCORER,
    .type_name = SP_TYPE_NAME,
    .description = "Reports its library's version and globals as scores",
    .create = create,
    .destroy = destroy,
    .scorer = &kScorer,
};
static const epp_type_descriptor* const kTypes[] = {&kType};
static const epp_plugin_descriptor kDescriptor = {
    .struct_size = sizeof kDescriptor,
    .abi_major = SP_DESC_ABI_MAJOR,
    .abi_minor = SP_DESC_ABI_MINOR,
    .name = SP_PLUGIN_NAME,
    .version = SP_VERSION,
    .description = "ABI test plugin",
    .types = kTypes,
    .types_count = 1,
    .shutdown = shutdown_library,
};

#ifndef SP_NO_ABI_SYMBOL
EPP_EXPORT const uint32_t epp_plugin_abi = EPP_ABI_PACK(SP_ABI_MAJOR, SP_ABI_MINOR);
#endif

#ifndef SP_NO_ENTRY
EPP_EXPORT const epp_plugin_descriptor* epp_plugin_entry(const epp_entry_args* args) {
  g_host = args->host;
  log_line("entry called: " SP_PLUGIN_NAME);
#ifdef SP_INIT_FAIL
  (void)kDescriptor;
  fail(args->error, "widget database unavailable at /var/lib/widgets");
  return NULL;
#else
  return &kDescriptor;
#endif
}
#else
/* Exported under another name: a library that is a shared object but no eppd plugin. */
EPP_EXPORT const epp_plugin_descriptor* not_the_entry_point(void) { return &kDescriptor; }
#endif

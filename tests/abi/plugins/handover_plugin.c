/*
 * A plugin offering the state hand-over (ABI 1.1), written against epp/abi.h alone and
 * varied with compile definitions:
 *   HP_LAYOUT=1|2   the version of its state: 1 writes "counter/v1" (a u64, little-endian,
 *                   in two pieces), 2 writes "counter/v2" (text "count=N") and also reads
 *                   "counter/v1"; version 1 refuses "counter/v2"
 *   HP_VERSION      descriptor version
 *   HP_ABI_1_0      built as a 1.0 plugin: epp_plugin_abi 1.0 and a type descriptor that
 *                   ends where 1.0's did, with the hand-over table set beyond it (the host
 *                   must not see it)
 *   HP_NO_HOOK      a 1.1 plugin that does not offer the hand-over
 *   HP_BROKEN=1|2|3 an invalid table: too small / no import_state / kind bit without room
 *                   for the table in the type's struct_size
 *
 * One type, "handover-counter", a scorer whose instances count score() calls. score()
 * writes [HP_LAYOUT, the count after this call, the layout of the state it imported (0:
 * none), the instance's `start`]. Parameters:
 *   start   integer   the count to start from
 *   export  string    "ok" (default), "nothing", "fail", "no-format", "big" (1 MiB),
 *                     "big-ok" (1 MiB, ignoring a refused write)
 *   import  string    "accept" (default), "refuse", "fail"
 */
#include <epp/abi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HP_LAYOUT
#define HP_LAYOUT 1
#endif
#ifndef HP_VERSION
#define HP_VERSION "1.0.0"
#endif

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type*)0)->field))

typedef struct counter {
  int64_t count;
  int64_t start;
  int64_t imported_layout;
  char export_mode[16];
  char import_mode[16];
} counter;

static const epp_host_api* g_host;

static epp_str str(const char* s) {
  epp_str out = {s, strlen(s)};
  return out;
}

static void fail(epp_error_host_ptr error, const char* format, ...) {
  char message[256];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  g_host->error_set(error, str(message));
}

static int is(epp_str s, const char* text) {
  return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

static void copy_text(epp_str s, char* out, size_t size) {
  size_t n = s.len < size - 1 ? s.len : size - 1;
  if (n > 0) memcpy(out, s.ptr, n);
  out[n] = '\0';
}

static epp_instance_plugin_ptr create(const epp_create_args* args, epp_error_host_ptr error) {
  counter* self = calloc(1, sizeof *self);
  if (self == NULL) {
    fail(error, "out of memory");
    return NULL;
  }
  strcpy(self->export_mode, "ok");
  strcpy(self->import_mode, "accept");
  if (g_host->param_kind(args->params) == EPP_PARAM_MAP) {
    size_t count = g_host->param_size(args->params);
    for (size_t i = 0; i < count; ++i) {
      epp_param_host_ptr child = NULL;
      epp_str key = {NULL, 0};
      epp_str text = {NULL, 0};
      g_host->param_at(args->params, i, &child, &key);
      if (is(key, "start") && g_host->param_int(child, &self->start) == EPP_OK) continue;
      if (is(key, "export") && g_host->param_string(child, &text) == EPP_OK) {
        copy_text(text, self->export_mode, sizeof self->export_mode);
        continue;
      }
      if (is(key, "import") && g_host->param_string(child, &text) == EPP_OK) {
        copy_text(text, self->import_mode, sizeof self->import_mode);
        continue;
      }
      free(self);
      fail(error, "bad parameter '%.*s'", (int)key.len, key.ptr);
      return NULL;
    }
  }
  self->count = self->start;
  return (epp_instance_plugin_ptr)self;
}

static void destroy(epp_instance_plugin_ptr self) { free(self); }

static epp_status score(epp_instance_plugin_ptr p, const epp_request_view* request,
                        const epp_endpoint_list* candidates, double* scores) {
  counter* self = (counter*)p;
  (void)request;
  ++self->count;
  const double report[4] = {HP_LAYOUT, (double)self->count, (double)self->imported_layout,
                            (double)self->start};
  for (size_t i = 0; i < candidates->count && i < 4; ++i) scores[i] = report[i];
  return EPP_OK;
}

#if HP_LAYOUT == 1
static void put_u64(uint8_t* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = (uint8_t)(value >> (8 * i));
}
#endif

static uint64_t get_u64(const uint8_t* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= (uint64_t)in[i] << (8 * i);
  return value;
}

static epp_status export_state(epp_instance_plugin_ptr p, epp_state_sink_host_ptr sink,
                               epp_error_host_ptr error) {
  const counter* self = (const counter*)p;
  if (strcmp(self->export_mode, "nothing") == 0) return EPP_ERR_NOT_FOUND;
  if (strcmp(self->export_mode, "fail") == 0) {
    fail(error, "counter store unavailable");
    return EPP_ERR_UNAVAILABLE;
  }
  if (strcmp(self->export_mode, "no-format") == 0) {
    uint8_t byte = 1;
    epp_bytes data = {&byte, 1};
    return g_host->state_sink_write(sink, data);
  }
  if (strncmp(self->export_mode, "big", 3) == 0) {
    /* "big" reports a refused write as it should; "big-ok" ignores it (the host must not). */
    static uint8_t chunk[64 * 1024];
    g_host->state_sink_set_format(sink, str("counter/big"));
    for (int i = 0; i < 16; ++i) {
      epp_bytes data = {chunk, sizeof chunk};
      epp_status status = g_host->state_sink_write(sink, data);
      if (status != EPP_OK && strcmp(self->export_mode, "big") == 0) {
        fail(error, "state of 1 MiB refused after %d KiB", i * 64);
        return status;
      }
    }
    return EPP_OK;
  }
#if HP_LAYOUT == 1
  uint8_t bytes[8];
  put_u64(bytes, (uint64_t)self->count);
  epp_status status = g_host->state_sink_set_format(sink, str("counter/v1"));
  /* Two pieces: the host appends. */
  epp_bytes low = {bytes, 4};
  epp_bytes high = {bytes + 4, 4};
  if (status == EPP_OK) status = g_host->state_sink_write(sink, low);
  if (status == EPP_OK) status = g_host->state_sink_write(sink, high);
  return status;
#else
  char text[32];
  int n = snprintf(text, sizeof text, "count=%lld", (long long)self->count);
  epp_bytes data = {(const uint8_t*)text, (size_t)n};
  epp_status status = g_host->state_sink_set_format(sink, str("counter/v2"));
  return status == EPP_OK ? g_host->state_sink_write(sink, data) : status;
#endif
}

static epp_status import_state(epp_instance_plugin_ptr p, epp_str format, epp_bytes data,
                               epp_error_host_ptr error) {
  counter* self = (counter*)p;
  if (strcmp(self->import_mode, "refuse") == 0) {
    fail(error, "told to refuse");
    return EPP_ERR_INVALID_ARGUMENT;
  }
  if (strcmp(self->import_mode, "fail") == 0) {
    fail(error, "import exploded");
    return EPP_ERR_INTERNAL;
  }
  if (is(format, "counter/v1")) {
    if (data.len != 8) {
      fail(error, "counter/v1 state must be 8 bytes, got %zu", data.len);
      return EPP_ERR_INVALID_ARGUMENT;
    }
    self->count = (int64_t)get_u64(data.ptr);
    self->imported_layout = 1;
    return EPP_OK;
  }
#if HP_LAYOUT >= 2
  if (is(format, "counter/v2")) {
    char text[32];
    long long value = 0;
    char extra = 0;
    if (data.len >= sizeof text) {
      fail(error, "counter/v2 state too long");
      return EPP_ERR_INVALID_ARGUMENT;
    }
    memcpy(text, data.ptr, data.len);
    text[data.len] = '\0';
    if (sscanf(text, "count=%lld%c", &value, &extra) != 1) {
      fail(error, "counter/v2 state '%s' does not parse", text);
      return EPP_ERR_INVALID_ARGUMENT;
    }
    self->count = value;
    self->imported_layout = 2;
    return EPP_OK;
  }
#endif
  fail(error, "counter layout %d cannot read format '%.*s'", HP_LAYOUT, (int)format.len,
       format.ptr);
  return EPP_ERR_UNIMPLEMENTED;
}

static const epp_scorer_v1 kScorer = {sizeof kScorer, EPP_SCORER_DISTRIBUTION, score};

#if defined(HP_BROKEN) && HP_BROKEN == 1
static const epp_state_handover_v1 kHandover = {offsetof(epp_state_handover_v1, import_state),
                                                export_state, import_state};
#elif defined(HP_BROKEN) && HP_BROKEN == 2
static const epp_state_handover_v1 kHandover = {sizeof kHandover, export_state, NULL};
static const epp_state_handover_v1 kUnused = {sizeof kUnused, export_state, import_state};
#else
static const epp_state_handover_v1 kHandover = {sizeof kHandover, export_state, import_state};
#endif

#if defined(HP_ABI_1_0)
#define HP_ABI_MINOR 0
#define HP_TYPE_SIZE END_OF(epp_type_descriptor, data_hooks)
#define HP_KINDS EPP_KIND_SCORER
#elif defined(HP_BROKEN) && HP_BROKEN == 3
#define HP_ABI_MINOR EPP_ABI_MINOR
#define HP_TYPE_SIZE END_OF(epp_type_descriptor, data_hooks)
#define HP_KINDS (EPP_KIND_SCORER | EPP_KIND_STATE_HANDOVER)
#elif defined(HP_NO_HOOK)
#define HP_ABI_MINOR EPP_ABI_MINOR
#define HP_TYPE_SIZE sizeof(epp_type_descriptor)
#define HP_KINDS EPP_KIND_SCORER
#else
#define HP_ABI_MINOR EPP_ABI_MINOR
#define HP_TYPE_SIZE sizeof(epp_type_descriptor)
#define HP_KINDS (EPP_KIND_SCORER | EPP_KIND_STATE_HANDOVER)
#endif

static const epp_type_descriptor kType = {
    .struct_size = HP_TYPE_SIZE,
    .kinds = HP_KINDS,
    .type_name = "handover-counter",
    .description = "Counts score calls and hands the count over",
    .create = create,
    .destroy = destroy,
    .scorer = &kScorer,
#ifndef HP_NO_HOOK
    .state_handover = &kHandover,
#endif
};
static const epp_type_descriptor* const kTypes[] = {&kType};
static const epp_plugin_descriptor kDescriptor = {
    .struct_size = sizeof kDescriptor,
    .abi_major = EPP_ABI_MAJOR,
    .abi_minor = HP_ABI_MINOR,
    .name = "handover-test",
    .version = HP_VERSION,
    .description = "ABI test plugin with a state hand-over",
    .types = kTypes,
    .types_count = 1,
};

EPP_EXPORT const uint32_t epp_plugin_abi = EPP_ABI_PACK(EPP_ABI_MAJOR, HP_ABI_MINOR);

EPP_EXPORT const epp_plugin_descriptor* epp_plugin_entry(const epp_entry_args* args) {
  g_host = args->host;
  (void)kHandover; /* referenced even when the type does not point at it */
#if defined(HP_BROKEN) && HP_BROKEN == 2
  (void)kUnused;
#endif
  return &kDescriptor;
}

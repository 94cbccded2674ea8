// File: host/loader/state_exchange.h
//
// The state hand-over between an old instance and the instance re-created to replace it,
// as the ABI defines it (epp/abi_state_handover.h): export_state of `from` into a host
// buffer, then import_state of `to` from that buffer. Only the mechanics and the
// classification of the outcome live here; runtime/state_handover.h adds logging and the
// metric. Never throws.
//
//   StateExchange outcome = exchangeState(*old_instance, *new_instance);
//   if (outcome.result == HandoverResult::kImported) ...   // outcome.bytes moved
//
// OWNERSHIP: the exported bytes live in a host buffer (StateSink) on this function's stack;
// import_state sees a view of it for the length of its call; the buffer is freed on return.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "epp/abi.h"
#include "host/loader/plugin_instance.h"
#include "host/loader/state_sink.h"

namespace epp::loader {

enum class HandoverResult {
  // No hand-over was attempted: one of the types does not offer it (a 1.0 plugin, say),
  // the types differ, or `from` and `to` are one instance.
  kNotOffered,
  // export_state had nothing to hand over (EPP_ERR_NOT_FOUND).
  kNothing,
  // import_state took the state.
  kImported,
  // import_state refused it (EPP_ERR_UNIMPLEMENTED: unknown format, or
  // EPP_ERR_INVALID_ARGUMENT: data it rejects): the new instance starts fresh.
  kRefused,
  // Anything else: an export or import error, an exception, no format, the size limit.
  kFailed,
};

// "not_offered", "nothing", "imported", "refused", "failed": the metric's result label.
std::string_view handoverResultName(HandoverResult result);

struct StateExchange {
  HandoverResult result = HandoverResult::kNotOffered;
  // The exported format tag and size (empty and 0 when nothing was exported).
  std::string format;
  size_t bytes = 0;
  // Status of the plugin call that decided the result (EPP_OK for kImported/kNotOffered).
  epp_status status = EPP_OK;
  // Why, for every result but kImported: the plugin's error message or the host's reason.
  std::string message;
};

struct ExchangeOptions {
  size_t max_bytes = StateSink::kDefaultMaxBytes;
};

// Runs the exchange when both types offer it and share a type name. `from` may be serving
// requests meanwhile; `to` must not have served any call yet.
StateExchange exchangeState(const PluginInstance& from, PluginInstance& to,
                            ExchangeOptions options = {});

// "EPP_ERR_INVALID_ARGUMENT", … ("status 42" for an unknown value).
std::string statusName(epp_status status);

}  // namespace epp::loader

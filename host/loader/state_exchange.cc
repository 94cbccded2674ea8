#include "host/loader/state_exchange.h"

#include <fmt/format.h>

#include "host/loader/abi_views.h"
#include "host/loader/error_sink.h"

namespace epp::loader {
namespace {

std::string describe(const PluginInstance& instance) {
  return fmt::format("'{}' ({} {})", instance.name(), instance.library()->name(),
                     instance.library()->version());
}

// "<call> returned <status>: <message>" (without the colon part when the plugin gave none).
std::string callError(std::string_view call, epp_status status, const ErrorSink& error) {
  std::string text = fmt::format("{} returned {}", call, statusName(status));
  if (error.isSet() && !error.message().empty()) text += ": " + error.message();
  return text;
}

StateExchange notOffered(std::string message) {
  StateExchange out;
  out.message = std::move(message);
  return out;
}

StateExchange exchange(const PluginInstance& from, PluginInstance& to, ExchangeOptions options) {
  if (&from == &to) return notOffered("one instance: nothing to hand over");
  if (from.typeName() != to.typeName()) {
    return notOffered(fmt::format("types differ ({} and {})", from.typeName(), to.typeName()));
  }
  const epp_state_handover_v1* exporter = from.type().state_handover;
  const epp_state_handover_v1* importer = to.type().state_handover;
  if (exporter == nullptr) return notOffered(describe(from) + " offers no state hand-over");
  if (importer == nullptr) return notOffered(describe(to) + " offers no state hand-over");

  StateExchange out;
  StateSink sink(options.max_bytes);
  {
    ErrorSink error;
    epp_status status = EPP_ERR_INTERNAL;
    try {
      status = exporter->export_state(from.pluginPtr(), sink.handle(), error.handle());
    } catch (...) {
      out.result = HandoverResult::kFailed;
      out.status = EPP_ERR_INTERNAL;
      out.message = "export_state threw an exception";
      return out;
    }
    out.status = status;
    if (status == EPP_ERR_NOT_FOUND) {
      out.result = HandoverResult::kNothing;
      out.message = callError("export_state", status, error);
      return out;
    }
    if (status != EPP_OK) {
      out.result = HandoverResult::kFailed;
      out.message = callError("export_state", status, error);
      return out;
    }
    if (sink.overflowed()) {
      out.result = HandoverResult::kFailed;
      out.status = EPP_ERR_OUT_OF_RANGE;
      out.message =
          fmt::format("the exported state exceeds the limit of {} bytes", sink.maxBytes());
      return out;
    }
    if (sink.format().empty()) {
      out.result = HandoverResult::kFailed;
      out.message = "export_state returned EPP_OK without naming a format";
      return out;
    }
  }
  out.format = sink.format();
  out.bytes = sink.data().size();

  ErrorSink error;
  epp_status status = EPP_ERR_INTERNAL;
  const std::string& data = sink.data();
  epp_bytes bytes{reinterpret_cast<const uint8_t*>(data.data()), data.size()};
  try {
    status = importer->import_state(to.pluginPtr(), toStr(sink.format()), bytes, error.handle());
  } catch (...) {
    out.result = HandoverResult::kFailed;
    out.status = EPP_ERR_INTERNAL;
    out.message = "import_state threw an exception";
    return out;
  }
  out.status = status;
  if (status == EPP_OK) {
    out.result = HandoverResult::kImported;
  } else if (status == EPP_ERR_UNIMPLEMENTED || status == EPP_ERR_INVALID_ARGUMENT) {
    out.result = HandoverResult::kRefused;
    out.message = callError("import_state", status, error);
  } else {
    out.result = HandoverResult::kFailed;
    out.message = callError("import_state", status, error);
  }
  return out;
}

}  // namespace

std::string_view handoverResultName(HandoverResult result) {
  switch (result) {
    case HandoverResult::kNotOffered:
      return "not_offered";
    case HandoverResult::kNothing:
      return "nothing";
    case HandoverResult::kImported:
      return "imported";
    case HandoverResult::kRefused:
      return "refused";
    case HandoverResult::kFailed:
      return "failed";
  }
  return "failed";
}

std::string statusName(epp_status status) {
  switch (status) {
    case EPP_OK:
      return "EPP_OK";
    case EPP_ERR_INVALID_ARGUMENT:
      return "EPP_ERR_INVALID_ARGUMENT";
    case EPP_ERR_INTERNAL:
      return "EPP_ERR_INTERNAL";
    case EPP_ERR_NOT_FOUND:
      return "EPP_ERR_NOT_FOUND";
    case EPP_ERR_UNAVAILABLE:
      return "EPP_ERR_UNAVAILABLE";
    case EPP_ERR_UNIMPLEMENTED:
      return "EPP_ERR_UNIMPLEMENTED";
    case EPP_ERR_OUT_OF_RANGE:
      return "EPP_ERR_OUT_OF_RANGE";
    default:
      return fmt::format("status {}", status);
  }
}

StateExchange exchangeState(const PluginInstance& from, PluginInstance& to,
                            ExchangeOptions options) {
  try {
    return exchange(from, to, options);
  } catch (...) {
    // Only a host-side failure (allocation) gets here; the plugin calls are guarded.
    StateExchange out;
    out.result = HandoverResult::kFailed;
    out.status = EPP_ERR_INTERNAL;
    try {
      out.message = "hand-over failed in the host";
    } catch (...) {
    }
    return out;
  }
}

}  // namespace epp::loader

// File: epp/cpp/core.h
//
// The C++ face of the host: errors, string views, the host table pointer, logging and
// time. Header-only; compiled into each plugin. Nothing here crosses the ABI boundary as a
// C++ type: the trampolines in export.h turn exceptions into status codes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "epp/abi.h"

namespace epp::cpp {

inline std::string_view view(epp_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : ""; }
inline std::string_view view(epp_bytes b) {
  return b.ptr ? std::string_view(reinterpret_cast<const char*>(b.ptr), b.len) : "";
}
inline epp_str str(std::string_view s) { return epp_str{s.data(), s.size()}; }

// Thrown by plugin code to fail a call with a status and message. Any other exception
// becomes EPP_ERR_INTERNAL.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, epp_status status = EPP_ERR_INVALID_ARGUMENT)
      : std::runtime_error(message), status_(status) {}
  epp_status status() const { return status_; }

 private:
  epp_status status_;
};

namespace detail {
// The host table handed to this library's entry point. Hidden so that two plugins (or a
// test binary linking several) never interpose each other's copy.
__attribute__((visibility("hidden"))) inline const epp_host_api* g_host = nullptr;
}  // namespace detail

// The host callback table; valid after the entry point ran.
inline const epp_host_api& host() {
  if (detail::g_host == nullptr) throw Error("eppd host table not set", EPP_ERR_INTERNAL);
  return *detail::g_host;
}

// Monotonic nanoseconds (virtual time under `eppd replay`).
inline int64_t nowNs() { return host().now_ns(); }

enum class LogLevel : epp_log_level {
  kTrace = EPP_LOG_TRACE,
  kDebug = EPP_LOG_DEBUG,
  kInfo = EPP_LOG_INFO,
  kWarn = EPP_LOG_WARN,
  kError = EPP_LOG_ERROR,
};

inline bool logEnabled(LogLevel level) {
  return host().log_enabled(static_cast<epp_log_level>(level));
}

// Logs for `instance` (may be null) and `request` (may be null).
inline void log(epp_instance_host_ptr instance, epp_request_host_ptr request, LogLevel level,
                std::string_view message) {
  host().log(instance, request, static_cast<epp_log_level>(level), str(message));
}

}  // namespace epp::cpp

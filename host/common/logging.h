// File: host/common/logging.h
//
// The process logger. Everything eppd writes (including plugin log lines) goes through
// the one spdlog logger returned here, so a test or the admin view can attach a sink.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

#include "host/common/result.h"

namespace epp::common {

// The "eppd" logger, writing to stderr; created on first use.
const std::shared_ptr<spdlog::logger>& logger();

// One JSON object per line ({"time","level","msg"} plus "request_id" when the line is
// written while a request is in scope), or plain text for terminals and tools.
enum class LogFormat { kText, kJson };
void setLogFormat(LogFormat format);
Result<LogFormat> parseLogFormat(std::string_view name);

// Attaches a request id to every line this thread logs while the scope lives, so a line
// written deep inside the request path (or by a plugin) carries it.
class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string_view id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  std::string_view previous_;
};

// Parses "trace", "debug", "info", "warn", "error", "critical" or "off".
Result<spdlog::level::level_enum> parseLogLevel(std::string_view name);

}  // namespace epp::common

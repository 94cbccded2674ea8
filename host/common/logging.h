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

// Parses "trace", "debug", "info", "warn", "error", "critical" or "off".
Result<spdlog::level::level_enum> parseLogLevel(std::string_view name);

}  // namespace epp::common

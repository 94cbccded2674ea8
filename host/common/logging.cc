#include "host/common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <string>

namespace epp::common {

const std::shared_ptr<spdlog::logger>& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto created = std::make_shared<spdlog::logger>("eppd", std::move(sink));
    created->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
    created->set_level(spdlog::level::info);
    return created;
  }();
  return instance;
}

Result<spdlog::level::level_enum> parseLogLevel(std::string_view name) {
  for (int level = spdlog::level::trace; level < spdlog::level::n_levels; ++level) {
    auto value = static_cast<spdlog::level::level_enum>(level);
    if (spdlog::level::to_string_view(value) == name) return value;
  }
  if (name == "warn") return spdlog::level::warn;
  return Error{"unknown log level '" + std::string(name) +
               "' (trace, debug, info, warn, error, critical, off)"};
}

}  // namespace epp::common

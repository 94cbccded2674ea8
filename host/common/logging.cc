#include "host/common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>

#include <ctime>
#include <string>

namespace epp::common {
namespace {

thread_local std::string_view tlsRequestId;

void appendEscaped(spdlog::memory_buf_t& dest, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        dest.append(std::string_view("\\\""));
        break;
      case '\\':
        dest.append(std::string_view("\\\\"));
        break;
      case '\n':
        dest.append(std::string_view("\\n"));
        break;
      case '\r':
        dest.append(std::string_view("\\r"));
        break;
      case '\t':
        dest.append(std::string_view("\\t"));
        break;
      default:
        if (c < 0x20) {
          char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          dest.append(esc, esc + 6);
        } else {
          dest.push_back(static_cast<char>(c));
        }
    }
  }
}

// {"time":"2026-11-23T16:20:44.642Z","level":"info","request_id":"…","msg":"…"}
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto since = msg.time.time_since_epoch();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char time[40];
    size_t n = std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &tm);
    n += static_cast<size_t>(
        std::snprintf(time + n, sizeof time - n, ".%03dZ", static_cast<int>(ms % 1000)));
    dest.append(std::string_view("{\"time\":\""));
    dest.append(time, time + n);
    dest.append(std::string_view("\",\"level\":\""));
    auto level = spdlog::level::to_string_view(msg.level);
    dest.append(level.data(), level.data() + level.size());
    dest.push_back('"');
    if (!tlsRequestId.empty()) {
      dest.append(std::string_view(",\"request_id\":\""));
      appendEscaped(dest, tlsRequestId);
      dest.push_back('"');
    }
    dest.append(std::string_view(",\"msg\":\""));
    appendEscaped(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(std::string_view("\"}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

ScopedRequestId::ScopedRequestId(std::string_view id) : previous_(tlsRequestId) {
  tlsRequestId = id;
}
ScopedRequestId::~ScopedRequestId() { tlsRequestId = previous_; }

void setLogFormat(LogFormat format) {
  if (format == LogFormat::kJson) {
    logger()->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger()->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  }
}

Result<LogFormat> parseLogFormat(std::string_view name) {
  if (name == "json") return LogFormat::kJson;
  if (name == "text") return LogFormat::kText;
  return Error{"unknown log format '" + std::string(name) + "' (json, text)"};
}

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

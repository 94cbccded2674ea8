// File: plugins/common/bad_input_report.h
//
// How a plugin reports input it ignores (a malformed request header, an unreadable endpoint
// label) without failing the request and without flooding the log: every occurrence is
// counted in a metric series, the instance's first one is a warning, later ones are logged
// at debug level only. The message carries the request id when there is a request.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

class BadInputReport {
 public:
  BadInputReport() = default;
  explicit BadInputReport(cpp::Series counter) : counter_(counter) {}
  BadInputReport(const BadInputReport&) = delete;
  BadInputReport& operator=(const BadInputReport&) = delete;
  // For reports built before their metric (arrays of them): call from the constructor.
  void setCounter(cpp::Series counter) { counter_ = counter; }

  // Counts one occurrence and logs `message` for `owner` (warning the first time).
  void report(const cpp::Plugin& owner, std::string_view message,
              const cpp::Request* request = nullptr) const {
    counter_.add(1);
    if (!warned_.exchange(true)) {
      owner.log(cpp::LogLevel::kWarn,
                std::string(message) + " (further ones are logged at debug level)", request);
    } else if (cpp::logEnabled(cpp::LogLevel::kDebug)) {
      owner.log(cpp::LogLevel::kDebug, message, request);
    }
  }

 private:
  cpp::Series counter_;
  mutable std::atomic<bool> warned_{false};
};

}  // namespace epp::plugins

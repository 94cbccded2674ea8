// File: host/loader/error_sink.h
//
// The object behind epp_error_host_ptr: where a plugin call writes its error message.
// One per call, on the caller's stack.
#pragma once

#include <string>
#include <string_view>

#include "epp/abi.h"

namespace epp::loader {

class ErrorSink {
 public:
  void set(std::string_view message) {
    message_.assign(message);
    set_ = true;
  }
  bool isSet() const { return set_; }
  const std::string& message() const { return message_; }

  epp_error_host_ptr handle() { return reinterpret_cast<epp_error_host_ptr>(this); }
  static ErrorSink* fromHandle(epp_error_host_ptr handle) {
    return reinterpret_cast<ErrorSink*>(handle);
  }

 private:
  std::string message_;
  bool set_ = false;
};

}  // namespace epp::loader

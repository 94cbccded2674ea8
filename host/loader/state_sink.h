// File: host/loader/state_sink.h
//
// The object behind epp_state_sink_host_ptr: where an instance's export_state writes the
// state it hands to its successor (format tag and bytes). One per hand-over, on the
// caller's stack; written from the exporting thread only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "epp/abi.h"

namespace epp::loader {

class StateSink {
 public:
  // What eppd accepts by default: a larger state is refused rather than doubling the
  // memory of a big index for the length of a reload.
  static constexpr size_t kDefaultMaxBytes = size_t{1} << 30;
  static constexpr size_t kMaxFormatLength = 256;

  explicit StateSink(size_t max_bytes = kDefaultMaxBytes) : max_bytes_(max_bytes) {}

  epp_status setFormat(std::string_view format) {
    if (format.empty() || format.size() > kMaxFormatLength) return EPP_ERR_INVALID_ARGUMENT;
    format_.assign(format);
    return EPP_OK;
  }

  epp_status write(std::string_view data) {
    if (data.size() > max_bytes_ - data_.size()) {
      overflowed_ = true;
      return EPP_ERR_OUT_OF_RANGE;
    }
    data_.append(data);
    return EPP_OK;
  }

  const std::string& format() const { return format_; }
  const std::string& data() const { return data_; }
  // A write was refused for the size limit: the state is incomplete whatever the plugin
  // returns.
  bool overflowed() const { return overflowed_; }
  size_t maxBytes() const { return max_bytes_; }

  epp_state_sink_host_ptr handle() { return reinterpret_cast<epp_state_sink_host_ptr>(this); }
  static StateSink* fromHandle(epp_state_sink_host_ptr handle) {
    return reinterpret_cast<StateSink*>(handle);
  }

 private:
  size_t max_bytes_;
  std::string format_;
  std::string data_;
  bool overflowed_ = false;
};

}  // namespace epp::loader

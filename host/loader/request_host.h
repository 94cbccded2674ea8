// File: host/loader/request_host.h
//
// What the host's request_* callbacks ask of one in-flight request (the object behind
// epp_request_host_ptr). The request path implements it; the callbacks in host_api.cc
// only translate the C views and catch exceptions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "epp/abi.h"

namespace epp::loader {

class InstanceHost;

class RequestHost {
 public:
  virtual ~RequestHost() = default;

  // x-request-id, for log lines.
  virtual std::string_view requestId() const = 0;
  // Value of a request header (name lower-case); the view lives as long as the request.
  virtual std::optional<std::string_view> header(std::string_view name) const = 0;
  virtual epp_status setHeader(std::string_view name, std::string_view value) = 0;
  // A header for the client's response (ABI 1.2); `name` is lower-case, never empty and
  // never a pseudo-header (the callback checks). EPP_ERR_UNAVAILABLE once the response
  // headers are gone.
  virtual epp_status setResponseHeader(std::string_view name, std::string_view value) = 0;
  // Chained prefix block hashes; `out` stays valid while the request is in flight.
  virtual epp_status prefixHashes(uint32_t block_size_tokens, uint32_t max_blocks,
                                  std::span<const uint64_t>& out) = 0;
  virtual uint64_t random() = 0;
  // Takes ownership of `state` in every case: on failure it calls destroy(state) itself.
  virtual epp_status stateSet(const InstanceHost& instance, void* state,
                              void (*destroy)(void*)) = 0;
  virtual void* stateGet(const InstanceHost& instance) const = 0;
  virtual epp_status dataPut(std::string_view key, std::span<const uint64_t> endpoint_ids,
                             std::span<const double> values) = 0;
  // Writes one value per endpoint (NaN where none); EPP_ERR_NOT_FOUND when `key` is unknown.
  virtual epp_status dataGet(std::string_view key, const epp_endpoint_list& endpoints,
                             double* values) const = 0;
  virtual epp_status pool(epp_endpoint_list& out) const = 0;

  epp_request_host_ptr handle() { return reinterpret_cast<epp_request_host_ptr>(this); }
  static RequestHost* fromHandle(epp_request_host_ptr handle) {
    return reinterpret_cast<RequestHost*>(handle);
  }
};

}  // namespace epp::loader

// File: host/routing/split_request.h
//
// The request as a traffic splitter sees it. Routing runs before the scheduling request
// context exists, so this is a lighter host for the one split() call: headers, ids, the
// model names and a seeded generator; per-request state, shared data, prefix hashes and
// upstream headers are not available yet (those callbacks fail with
// EPP_ERR_UNIMPLEMENTED). `target_model` is the requested model, as the ABI says.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "epp/abi.h"
#include "host/loader/request_host.h"

namespace epp::routing {

class SplitRequest final : public loader::RequestHost {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Every argument must outlive this object.
  SplitRequest(std::string_view requestId, std::string_view path, std::string_view model,
               std::string_view requested, const Headers& headers,
               std::span<const epp_endpoint_view* const> candidates, uint64_t seed);

  const epp_request_view* view() const { return &view_; }

  // loader::RequestHost
  std::string_view requestId() const override { return requestId_; }
  std::optional<std::string_view> header(std::string_view name) const override;
  epp_status setHeader(std::string_view name, std::string_view value) override;
  epp_status setResponseHeader(std::string_view name, std::string_view value) override;
  epp_status prefixHashes(uint32_t blockSizeTokens, uint32_t maxBlocks,
                          std::span<const uint64_t>& out) override;
  uint64_t random() override;
  epp_status stateSet(const loader::InstanceHost& instance, void* state,
                      void (*destroy)(void*)) override;
  void* stateGet(const loader::InstanceHost& instance) const override;
  epp_status dataPut(std::string_view key, std::span<const uint64_t> endpointIds,
                     std::span<const double> values) override;
  epp_status dataGet(std::string_view key, const epp_endpoint_list& endpoints,
                     double* values) const override;
  epp_status pool(epp_endpoint_list& out) const override;

 private:
  std::string_view requestId_;
  const Headers& headers_;
  std::span<const epp_endpoint_view* const> candidates_;
  std::vector<epp_kv> headerViews_;
  epp_request_view view_{};
  uint64_t rng_;
};

}  // namespace epp::routing

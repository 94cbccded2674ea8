// File: host/scheduling/request_context.h
//
// One request as the plugins see it: the epp_request_view, and the host side of every
// request callback (headers, prefix hashes, random, per-plugin state, shared per-endpoint
// data, the pool). Owned by the request from parse to completion; plugin state is
// destroyed with it. Calls for one request are serialised by the request path, so nothing
// here locks.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "epp/abi.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/loader/request_host.h"

namespace epp::scheduling {

struct RequestFields {
  std::string requestId;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case keys
  std::string_view body;  // owned by RequestContext's `bodyOwner`
  std::string path;
  std::string model;
  std::string targetModel;
  std::string loraAdapter;
  std::string fairnessId = "default-flow";
  std::string prompt;
  std::vector<uint32_t> promptTokenIds;  // a pre-tokenized completions prompt
  int32_t priority = 0;
  bool stream = false;
  int64_t receivedNs = 0;
};

class RequestContext final : public loader::RequestHost {
 public:
  // `bodyOwner` keeps the memory `fields.body` points into alive (the transport's buffer:
  // a long prompt is never copied).
  RequestContext(RequestFields fields, datalayer::EndpointSnapshotPtr endpoints, uint64_t seed,
                 std::shared_ptr<const void> bodyOwner = nullptr);
  ~RequestContext() override;
  RequestContext(const RequestContext&) = delete;
  RequestContext& operator=(const RequestContext&) = delete;

  const epp_request_view* view() const { return &view_; }
  const RequestFields& fields() const { return fields_; }
  const datalayer::EndpointSnapshot& endpoints() const { return *endpoints_; }
  const datalayer::EndpointSnapshotPtr& endpointsPtr() const { return endpoints_; }
  // Late binding: a request that waited in a flow-control queue is scheduled over the
  // endpoints of the moment it leaves.
  void rebindEndpoints(datalayer::EndpointSnapshotPtr endpoints) {
    endpoints_ = std::move(endpoints);
  }
  // Headers plugins asked to send upstream, in the order first set.
  const std::vector<std::pair<std::string, std::string>>& upstreamHeaders() const {
    return upstreamHeaders_;
  }

  // Headers plugins asked to add to the client's response. Taken once, by the response path
  // when the response headers arrive; later requests to add one are refused.
  std::vector<std::pair<std::string, std::string>> takeResponseHeaders();

  // loader::RequestHost
  std::string_view requestId() const override { return fields_.requestId; }
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
  struct HashSet {
    uint32_t blockSizeTokens;
    uint32_t maxBlocks;
    std::vector<uint64_t> hashes;
  };
  struct State {
    void* state;
    void (*destroy)(void*);
  };
  // Values a plugin published for endpoints under one key, in the order it gave them. A
  // handful of keys per request, each read in (a subsequence of) the order written: flat
  // arrays and a forward cursor beat hash maps here (no node per value).
  struct DataSeries {
    std::string key;
    std::vector<uint64_t> ids;
    std::vector<double> values;
  };

  std::shared_ptr<const void> bodyOwner_;
  RequestFields fields_;
  datalayer::EndpointSnapshotPtr endpoints_;
  std::vector<epp_kv> headerViews_;
  epp_request_view view_{};
  uint64_t rng_;
  std::deque<HashSet> hashes_;  // deque: spans handed out stay valid
  std::vector<std::pair<const loader::InstanceHost*, State>> states_;
  std::vector<DataSeries> data_;
  std::vector<std::pair<std::string, std::string>> upstreamHeaders_;
  std::vector<std::pair<std::string, std::string>> responseHeaders_;
  bool responseHeadersTaken_ = false;
};

}  // namespace epp::scheduling

// File: epp/testing/fake_request.h
//
// A request for plugin unit tests: describe it as a plain struct; the fake host answers
// the request callbacks (headers, state, shared data, prefix hashes, random) from it.
#pragma once

#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "epp/abi.h"
#include "epp/testing/fake_endpoints.h"

namespace epp::testing {

struct FakeRequestSpec {
  std::string requestId = "test-request";
  std::string path = "/v1/completions";
  std::string model = "test-model";
  std::string targetModel{};  // empty: same as model
  std::string loraAdapter{};
  std::string fairnessId = "default-flow";
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  std::string prompt{};
  std::vector<uint32_t> tokenIds{};
  int32_t priority = 0;
  bool stream = false;
  int64_t receivedNs = 0;
  uint64_t seed = 42;
};

class FakeRequest {
 public:
  explicit FakeRequest(FakeRequestSpec spec = {}, const EndpointSet* pool = nullptr)
      : spec_(std::move(spec)), pool_(pool), rng_(spec_.seed) {
    if (spec_.targetModel.empty()) spec_.targetModel = spec_.model;
    for (const auto& [k, v] : spec_.headers) headers_.push_back({str(k), str(v)});
    view_.struct_size = sizeof view_;
    view_.handle = reinterpret_cast<epp_request_host_ptr>(this);
    view_.request_id = str(spec_.requestId);
    view_.path = str(spec_.path);
    view_.model = str(spec_.model);
    view_.target_model = str(spec_.targetModel);
    view_.lora_adapter = str(spec_.loraAdapter);
    view_.fairness_id = str(spec_.fairnessId);
    view_.headers = headers_.data();
    view_.headers_count = headers_.size();
    view_.body = {reinterpret_cast<const uint8_t*>(spec_.body.data()), spec_.body.size()};
    view_.prompt = str(spec_.prompt);
    view_.token_ids = spec_.tokenIds.data();
    view_.token_ids_count = spec_.tokenIds.size();
    view_.priority = spec_.priority;
    view_.stream = spec_.stream;
    view_.received_ns = spec_.receivedNs;
  }
  ~FakeRequest() {
    for (auto& [instance, s] : states_) {
      if (s.second) s.second(s.first);
    }
  }
  FakeRequest(const FakeRequest&) = delete;
  FakeRequest& operator=(const FakeRequest&) = delete;

  const epp_request_view* view() const { return &view_; }
  const FakeRequestSpec& spec() const { return spec_; }
  // Headers plugins set with request_set_header.
  const std::map<std::string, std::string>& setHeaders() const { return setHeaders_; }
  // Headers plugins set on the response with response_set_header (keys lower-case).
  const std::map<std::string, std::string>& responseHeaders() const { return responseHeaders_; }
  void setPool(const EndpointSet* pool) { pool_ = pool; }

  // ---- what the fake host's callbacks use ----
  epp_str header(std::string_view name) const {
    for (const auto& h : headers_) {
      if (std::string_view(h.key.ptr, h.key.len) == name) return h.value;
    }
    return {nullptr, 0};
  }
  void setHeader(std::string_view name, std::string_view value) {
    setHeaders_[std::string(name)] = std::string(value);
  }
  epp_status setResponseHeader(std::string_view name, std::string_view value) {
    if (name.empty() || name.front() == ':') return EPP_ERR_INVALID_ARGUMENT;
    std::string key(name);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    responseHeaders_[key] = std::string(value);
    return EPP_OK;
  }
  // Chained 64-bit hashes of 4*blockSize-character blocks of the prompt, seeded by the
  // model. (FNV-1a here; eppd uses xxhash64, so tests must not depend on the values.)
  const std::vector<uint64_t>& prefixHashes(uint32_t blockSizeTokens, uint32_t maxBlocks) {
    auto key = std::make_pair(blockSizeTokens, maxBlocks);
    auto it = hashes_.find(key);
    if (it != hashes_.end()) return it->second;
    std::vector<uint64_t> out;
    size_t blockChars = static_cast<size_t>(blockSizeTokens) * 4;
    uint64_t prev = fnv(spec_.targetModel, 1469598103934665603ull);
    for (size_t off = 0;
         blockChars > 0 && off + blockChars <= spec_.prompt.size() && out.size() < maxBlocks;
         off += blockChars) {
      prev = fnv(std::string_view(spec_.prompt).substr(off, blockChars), prev);
      out.push_back(prev);
    }
    return hashes_.emplace(key, std::move(out)).first->second;
  }
  uint64_t random() { return rng_(); }
  void* state(const void* instance) const {
    auto it = states_.find(instance);
    return it == states_.end() ? nullptr : it->second.first;
  }
  void setState(const void* instance, void* state, void (*destroy)(void*)) {
    auto it = states_.find(instance);
    if (it != states_.end() && it->second.second) it->second.second(it->second.first);
    states_[instance] = {state, destroy};
  }
  void dataPut(std::string_view key, const uint64_t* ids, const double* values, size_t n) {
    auto& m = data_[std::string(key)];
    for (size_t i = 0; i < n; ++i) m[ids[i]] = values[i];
  }
  bool dataGet(std::string_view key, const epp_endpoint_list* eps, double* values) const {
    auto it = data_.find(std::string(key));
    if (it == data_.end()) return false;
    for (size_t i = 0; i < eps->count; ++i) {
      auto v = it->second.find(eps->items[i]->id);
      values[i] = v == it->second.end() ? std::nan("") : v->second;
    }
    return true;
  }
  const EndpointSet* pool() const { return pool_; }

 private:
  static epp_str str(const std::string& s) { return {s.data(), s.size()}; }
  static uint64_t fnv(std::string_view s, uint64_t h) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    return h;
  }

  FakeRequestSpec spec_;
  const EndpointSet* pool_;
  std::mt19937_64 rng_;
  std::vector<epp_kv> headers_;
  epp_request_view view_{};
  std::map<std::string, std::string> setHeaders_;
  std::map<std::string, std::string> responseHeaders_;
  std::map<std::pair<uint32_t, uint32_t>, std::vector<uint64_t>> hashes_;
  std::map<const void*, std::pair<void*, void (*)(void*)>> states_;
  std::map<std::string, std::map<uint64_t, double>> data_;
};

}  // namespace epp::testing

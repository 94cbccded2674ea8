#include "host/scheduling/request_context.h"

#include <algorithm>
#include <cmath>

#include "host/loader/abi_views.h"
#include "host/scheduling/prefix_hasher.h"

namespace epp::scheduling {
namespace {

// splitmix64: tiny, fast, and deterministic for a seed (replays depend on it).
uint64_t nextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

RequestContext::RequestContext(RequestFields fields, datalayer::EndpointSnapshotPtr endpoints,
                               uint64_t seed, std::shared_ptr<const void> bodyOwner)
    : bodyOwner_(std::move(bodyOwner)),
      fields_(std::move(fields)),
      endpoints_(std::move(endpoints)),
      rng_(seed) {
  if (fields_.targetModel.empty()) fields_.targetModel = fields_.model;
  headerViews_.reserve(fields_.headers.size());
  for (const auto& [k, v] : fields_.headers)
    headerViews_.push_back({loader::toStr(k), loader::toStr(v)});
  view_.struct_size = sizeof view_;
  view_.handle = handle();
  view_.request_id = loader::toStr(fields_.requestId);
  view_.path = loader::toStr(fields_.path);
  view_.model = loader::toStr(fields_.model);
  view_.target_model = loader::toStr(fields_.targetModel);
  view_.lora_adapter = loader::toStr(fields_.loraAdapter);
  view_.fairness_id = loader::toStr(fields_.fairnessId);
  view_.headers = headerViews_.data();
  view_.headers_count = headerViews_.size();
  view_.body = {reinterpret_cast<const uint8_t*>(fields_.body.data()), fields_.body.size()};
  view_.prompt = loader::toStr(fields_.prompt);
  view_.token_ids = fields_.promptTokenIds.data();
  view_.token_ids_count = fields_.promptTokenIds.size();
  view_.priority = fields_.priority;
  view_.stream = fields_.stream;
  view_.received_ns = fields_.receivedNs;
}

RequestContext::~RequestContext() {
  for (auto& [instance, s] : states_) {
    if (s.destroy != nullptr) s.destroy(s.state);
  }
}

std::optional<std::string_view> RequestContext::header(std::string_view name) const {
  for (const auto& [k, v] : fields_.headers) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

epp_status RequestContext::setHeader(std::string_view name, std::string_view value) {
  for (auto& [k, v] : upstreamHeaders_) {
    if (k == name) {
      v = std::string(value);
      return EPP_OK;
    }
  }
  upstreamHeaders_.emplace_back(std::string(name), std::string(value));
  return EPP_OK;
}

epp_status RequestContext::setResponseHeader(std::string_view name, std::string_view value) {
  if (responseHeadersTaken_) return EPP_ERR_UNAVAILABLE;
  for (auto& [k, v] : responseHeaders_) {
    if (k == name) {
      v = std::string(value);
      return EPP_OK;
    }
  }
  responseHeaders_.emplace_back(std::string(name), std::string(value));
  return EPP_OK;
}

std::vector<std::pair<std::string, std::string>> RequestContext::takeResponseHeaders() {
  responseHeadersTaken_ = true;
  return std::move(responseHeaders_);
}

epp_status RequestContext::prefixHashes(uint32_t blockSizeTokens, uint32_t maxBlocks,
                                        std::span<const uint64_t>& out) {
  if (blockSizeTokens == 0) return EPP_ERR_INVALID_ARGUMENT;
  for (const auto& set : hashes_) {
    if (set.blockSizeTokens == blockSizeTokens && set.maxBlocks == maxBlocks) {
      out = set.hashes;
      return EPP_OK;
    }
  }
  HashSet& set = hashes_.emplace_back(HashSet{blockSizeTokens, maxBlocks, {}});
  hashPrefixBlocks(fields_.targetModel, fields_.prompt, blockSizeTokens, maxBlocks, set.hashes);
  out = set.hashes;
  return EPP_OK;
}

uint64_t RequestContext::random() { return nextRandom(rng_); }

epp_status RequestContext::stateSet(const loader::InstanceHost& instance, void* state,
                                    void (*destroy)(void*)) {
  for (auto& [owner, s] : states_) {
    if (owner == &instance) {
      if (s.destroy != nullptr && s.state != state) s.destroy(s.state);
      s = State{state, destroy};
      return EPP_OK;
    }
  }
  states_.emplace_back(&instance, State{state, destroy});
  return EPP_OK;
}

void* RequestContext::stateGet(const loader::InstanceHost& instance) const {
  for (const auto& [owner, s] : states_) {
    if (owner == &instance) return s.state;
  }
  return nullptr;
}

epp_status RequestContext::dataPut(std::string_view key, std::span<const uint64_t> endpointIds,
                                   std::span<const double> values) {
  if (endpointIds.size() != values.size()) return EPP_ERR_INVALID_ARGUMENT;
  auto series =
      std::find_if(data_.begin(), data_.end(), [&](const DataSeries& d) { return d.key == key; });
  if (series == data_.end()) {
    data_.push_back({std::string(key),
                     {endpointIds.begin(), endpointIds.end()},
                     {values.begin(), values.end()}});
    return EPP_OK;
  }
  // A second put under the same key updates or adds values (rare: one producer per key).
  for (size_t i = 0; i < endpointIds.size(); ++i) {
    auto at = std::find(series->ids.begin(), series->ids.end(), endpointIds[i]);
    if (at == series->ids.end()) {
      series->ids.push_back(endpointIds[i]);
      series->values.push_back(values[i]);
    } else {
      series->values[static_cast<size_t>(at - series->ids.begin())] = values[i];
    }
  }
  return EPP_OK;
}

epp_status RequestContext::dataGet(std::string_view key, const epp_endpoint_list& endpoints,
                                   double* values) const {
  auto series =
      std::find_if(data_.begin(), data_.end(), [&](const DataSeries& d) { return d.key == key; });
  if (series == data_.end()) return EPP_ERR_NOT_FOUND;
  const std::vector<uint64_t>& ids = series->ids;
  // Filters keep the order of what they were given, so the endpoints asked for are usually
  // the written ones or a subsequence of them: search on from the last find, wrapping once.
  size_t cursor = 0;
  for (size_t i = 0; i < endpoints.count; ++i) {
    const uint64_t id = endpoints.items[i]->id;
    values[i] = std::nan("");
    for (size_t step = 0; step < ids.size(); ++step) {
      const size_t at = (cursor + step) % ids.size();
      if (ids[at] == id) {
        values[i] = series->values[at];
        cursor = at + 1;
        break;
      }
    }
  }
  return EPP_OK;
}

epp_status RequestContext::pool(epp_endpoint_list& out) const {
  out = endpoints_->all();
  return EPP_OK;
}

}  // namespace epp::scheduling

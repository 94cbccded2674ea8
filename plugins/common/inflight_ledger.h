// File: plugins/common/inflight_ledger.h
//
// The load a plugin has itself seen routed to each endpoint and not yet completed: requests
// and estimated prompt tokens, booked by the pre-request hook and released when the request
// completes. Used by active-request-scorer, token-load-scorer and
// prefix-cache-affinity-filter (each instance keeps its own ledger, as each reference plugin
// reads the one in-flight producer).
//
// Why not only eppd's count (epp_endpoint_view.inflight_requests): a view is filled when its
// data snapshot is built, so every request between two scrapes reads the same number and a
// burst would pile onto one endpoint. The ledger moves with every decision. eppd does not
// count tokens at all.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "epp/cpp/plugin.h"
#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

namespace epp::plugins {

struct InflightLoad {
  int64_t requests = 0;
  int64_t tokens = 0;
};

// Prompt tokens of a request: its token ids when eppd has them, else one token per four
// characters of prompt, rounded up (eppd's convention everywhere tokens are estimated).
inline int64_t estimatePromptTokens(const cpp::Request& request) {
  if (!request.tokenIds().empty()) return static_cast<int64_t>(request.tokenIds().size());
  return static_cast<int64_t>((request.prompt().size() + 3) / 4);
}

// The tokens of `request` each endpoint of `endpoints` would have to prefill: its prompt
// tokens minus the share approx-prefix-cache-producer found cached there (all of them when no
// producer ran for the request).
inline std::vector<int64_t> uncachedPromptTokens(const cpp::Request& request,
                                                 const cpp::EndpointList& endpoints) {
  const double prompt = static_cast<double>(estimatePromptTokens(request));
  std::vector<int64_t> out(endpoints.size(), static_cast<int64_t>(prompt));
  const auto ratios = request.dataGet(kMatchRatioKey, endpoints);
  if (!ratios) return out;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const double cached = std::isfinite((*ratios)[i]) ? std::clamp((*ratios)[i], 0.0, 1.0) : 0.0;
    out[i] = static_cast<int64_t>(std::llround(prompt * (1.0 - cached)));
  }
  return out;
}

inline int64_t uncachedPromptTokens(const cpp::Request& request, const cpp::Endpoint& endpoint) {
  const epp_endpoint_view* view = endpoint.raw();
  const epp_endpoint_list one{&view, 1};
  return uncachedPromptTokens(request, cpp::EndpointList(&one)).front();
}

class InflightLedger {
 public:
  // Tokens a booking puts on `endpoint` for `request`.
  using TokenEstimate = std::function<int64_t(const cpp::Endpoint& endpoint)>;

  // The loads of `candidates` into `out` (zero where nothing is in flight), under one lock.
  void read(const cpp::EndpointList& candidates, std::span<InflightLoad> out) const {
    std::shared_lock lock(mutex_);
    for (size_t i = 0; i < candidates.size(); ++i) {
      auto it = loads_.find(candidates[i].id());
      out[i] = it == loads_.end() ? InflightLoad{} : it->second;
    }
  }

  InflightLoad get(uint64_t endpointId) const {
    std::shared_lock lock(mutex_);
    auto it = loads_.find(endpointId);
    return it == loads_.end() ? InflightLoad{} : it->second;
  }

  // Books one request on the first target of every profile that found one (the primary
  // and, with prefill/decode disaggregation, the prefill endpoint), as the reference's
  // in-flight producer does. What was booked becomes the request's state of `owner`, so
  // release() takes back exactly that.
  void book(const cpp::Plugin& owner, const cpp::Request& request,
            const cpp::SchedulingResult& result, const TokenEstimate& tokensFor) {
    auto booking = std::make_unique<Booking>();
    const cpp::ProfileResults profiles = result.profiles();
    for (size_t p = 0; p < profiles.size(); ++p) {
      if (!profiles[p].ok() || profiles[p].targetCount() == 0) continue;
      const cpp::Endpoint target = profiles[p].target(0);
      booking->entries.emplace_back(target.id(), tokensFor ? tokensFor(target) : 0);
    }
    if (booking->entries.empty()) return;
    {
      std::unique_lock lock(mutex_);
      for (const auto& [id, tokens] : booking->entries) add(id, 1, tokens);
    }
    owner.setState(request, std::move(booking));
  }

  // Releases what book() booked for `request` (nothing when it booked nothing).
  void release(const cpp::Plugin& owner, const cpp::Request& request) {
    Booking* booking = owner.state<Booking>(request);
    if (booking == nullptr || booking->released) return;
    booking->released = true;
    std::unique_lock lock(mutex_);
    for (const auto& [id, tokens] : booking->entries) add(id, -1, -tokens);
  }

  // Endpoints that left the pool: their loads go (late releases for them are ignored).
  void forget(std::span<const uint64_t> endpointIds) {
    std::unique_lock lock(mutex_);
    for (uint64_t id : endpointIds) loads_.erase(id);
  }

 private:
  struct Booking {
    std::vector<std::pair<uint64_t, int64_t>> entries;  // endpoint id, tokens
    bool released = false;
  };

  // Under the exclusive lock. A release for an endpoint the ledger forgot is dropped, and an
  // entry that falls back to nothing is erased, so the map only holds busy endpoints.
  void add(uint64_t id, int64_t requests, int64_t tokens) {
    auto it = loads_.find(id);
    if (it == loads_.end()) {
      if (requests <= 0) return;
      it = loads_.emplace(id, InflightLoad{}).first;
    }
    it->second.requests += requests;
    it->second.tokens += tokens;
    if (it->second.requests <= 0) loads_.erase(it);
  }

  mutable std::shared_mutex mutex_;
  std::unordered_map<uint64_t, InflightLoad> loads_;
};

}  // namespace epp::plugins

#include "plugins/scorer/no_hit_lru_scorer/no_hit_lru_scorer.h"

#include <algorithm>
#include <memory>
#include <numeric>
#include <optional>
#include <string_view>
#include <vector>

#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

namespace epp::plugins {
namespace {

// Whether the request found no prefix anywhere, decided when it was scored and read when
// its endpoint is known.
struct ColdRequest {};

// The profile whose pick also grows its cache with a cold request under prefill/decode
// disaggregation (the reference's fixed name).
constexpr std::string_view kPrefillProfile = "prefill";

// True when no candidate holds any of the request's prefix, or nobody measured it.
bool isCold(const cpp::Request& request, const cpp::EndpointList& candidates) {
  const auto ratios = request.dataGet(kMatchRatioKey, candidates);
  if (!ratios) return true;
  return std::none_of(ratios->begin(), ratios->end(), [](double r) { return r > 0; });
}

}  // namespace

NoHitLruScorer::NoHitLruScorer(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      capacity_(static_cast<size_t>(
          ctx.params().getInt("lruSize", kDefaultLruSize, 1, int64_t{1} << 24))) {
  const cpp::Params& params = ctx.params();
  for (std::string_view key : {"prefixPluginType", "prefixPluginName"}) {
    if (!params.has(key)) continue;
    params.getString(key, "");
    log(cpp::LogLevel::kWarn,
        std::string(key) + " is deprecated and ignored (as in the reference)");
  }
  if (params.has("prefixMatchInfoProducerName")) {
    params.getString("prefixMatchInfoProducerName", "");
    log(cpp::LogLevel::kInfo,
        "prefixMatchInfoProducerName is ignored: prefix matches are read from "
        "approx-prefix-cache-producer's request data");
  }
}

void NoHitLruScorer::score(const cpp::Request& request, const cpp::EndpointList& candidates,
                           std::span<double> scores) {
  if (!isCold(request, candidates)) {
    std::fill(scores.begin(), scores.end(), kNeutral);
    return;
  }
  setState(request, std::make_unique<ColdRequest>());
  const size_t n = candidates.size();
  if (n == 1) {
    scores[0] = 1.0;
    return;
  }
  // Never used (0) sorts before any use (>= 1); equal keys keep the candidates' order.
  std::vector<uint64_t> lastUse(n, 0);
  {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < n; ++i) {
      auto it = lastUse_.find(candidates[i].id());
      if (it != lastUse_.end()) lastUse[i] = it->second;
    }
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return lastUse[a] < lastUse[b]; });
  for (size_t rank = 0; rank < n; ++rank) {
    scores[order[rank]] = 1.0 - static_cast<double>(rank) / static_cast<double>(n - 1);
  }
}

void NoHitLruScorer::preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) {
  if (state<ColdRequest>(request) == nullptr) return;
  std::optional<cpp::ProfileResult> primary = result.primary();
  if (primary && primary->ok() && primary->targetCount() > 0) touch(primary->target(0).id());
  std::optional<cpp::ProfileResult> prefill = result.profiles().find(kPrefillProfile);
  if (prefill && prefill->profileName() != (primary ? primary->profileName() : "") &&
      prefill->ok() && prefill->targetCount() > 0) {
    touch(prefill->target(0).id());
  }
}

void NoHitLruScorer::endpointsRemoved(std::span<const uint64_t> endpointIds) {
  std::lock_guard lock(mutex_);
  for (uint64_t id : endpointIds) {
    auto it = lastUse_.find(id);
    if (it == lastUse_.end()) continue;
    byAge_.erase(it->second);
    lastUse_.erase(it);
  }
}

void NoHitLruScorer::touch(uint64_t endpointId) {
  std::lock_guard lock(mutex_);
  auto it = lastUse_.find(endpointId);
  if (it != lastUse_.end()) byAge_.erase(it->second);
  const uint64_t now = ++clock_;
  lastUse_[endpointId] = now;
  byAge_[now] = endpointId;
  while (lastUse_.size() > capacity_) {
    auto oldest = byAge_.begin();
    lastUse_.erase(oldest->second);
    byAge_.erase(oldest);
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppNoHitLruScorerEntry, "no-hit-lru-scorer", "1.0.0",
                    "Spreads requests without a prefix-cache hit over the least recently used "
                    "endpoints",
                    EPP_TYPE(epp::plugins::NoHitLruScorer, "no-hit-lru-scorer",
                             "cold requests: 1 - rank / (n - 1) by least recent cold use; "
                             "0.5 with a prefix hit"))

#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// no-hit-lru-scorer: spreads cold requests (no candidate holds any of their prefix) over the
// endpoints least recently given a cold request, so new KV-cache blocks grow evenly. Cold
// requests rank the candidates: never given one first, then the least recently given one;
// rank r of n scores 1 - r / (n - 1). Requests with a prefix hit score 0.5 everywhere.
class NoHitLruScorer : public cpp::Plugin,
                       public cpp::Scorer,
                       public cpp::PreRequestHook,
                       public cpp::EndpointHooks {
 public:
  static constexpr int64_t kDefaultLruSize = 1024;
  static constexpr double kNeutral = 0.5;

  explicit NoHitLruScorer(const cpp::CreateContext& ctx);

  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;
  void preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) override;
  void endpointsRemoved(std::span<const uint64_t> endpointIds) override;

 private:
  // Moves `endpointId` to the most recent end, evicting the oldest beyond the capacity.
  void touch(uint64_t endpointId);

  size_t capacity_;
  std::mutex mutex_;
  uint64_t clock_ = 0;                              // guarded by mutex_
  std::unordered_map<uint64_t, uint64_t> lastUse_;  // endpoint id -> clock; guarded by mutex_
  std::map<uint64_t, uint64_t> byAge_;              // clock -> endpoint id; guarded by mutex_
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppNoHitLruScorerEntry(const epp_entry_args* args);

// File: plugins/scorer/precise_prefix_cache/precise_prefix_cache_scorer.h
#pragma once

#include <atomic>
#include <string>

#include "epp/cpp/plugin.h"
#include "plugins/scorer/precise_prefix_cache/precise_index.h"

namespace epp::plugins {

// precise-prefix-cache-scorer: scores each candidate with the share of the request's
// leading KV blocks the endpoint really holds, as its own KV-cache events report
// (longest run of blocks from the first, GPU 1.0 / CPU 0.8, divided by the request's
// blocks). See README.md for how token ids are obtained and what happens without them.
class PrecisePrefixCacheScorer : public cpp::Plugin,
                                 public cpp::Scorer,
                                 public cpp::PreRequestHook,
                                 public cpp::EndpointHooks,
                                 public cpp::KvEventHooks {
 public:
  static constexpr epp_scorer_category kCategory = EPP_SCORER_AFFINITY;

  explicit PrecisePrefixCacheScorer(const cpp::CreateContext& ctx);
  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;
  void preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) override;
  void endpointsRemoved(std::span<const uint64_t> endpointIds) override;
  void kvEvents(const cpp::KvEventBatch& batch, bool resync) override;

  enum class Tokenizer { kRequest, kChars };
  enum class Fallback { kApproximate, kNone };

 private:
  // Token ids for the request; false when there are none (the fallback applies).
  bool tokens(const cpp::Request& request, std::vector<uint32_t>& out) const;
  void fallbackScores(const cpp::Request& request, const cpp::EndpointList& candidates,
                      std::span<double> scores) const;
  uint64_t rootFor(std::string_view model, int64_t loraId) const;

  int32_t blockSize_;
  std::string hashSeed_;
  size_t maxBlocks_;
  Tokenizer tokenizer_;
  int32_t charsPerToken_;
  Fallback fallback_;
  bool speculative_ = false;
  int64_t speculativeTtlNs_ = 2'000'000'000;
  PreciseIndex index_;
  std::atomic<bool> warnedBlockSize_{false};

  cpp::Series scoredPrecise_, scoredFallback_, indexKeys_, orphans_, mismatches_, guesses_;
};

}  // namespace epp::plugins

// The library's entry point (EPP_PLUGIN_ENTRY_FN), for tests that load it in the fake host.
const epp_plugin_descriptor* eppPrecisePrefixCacheEntry(const epp_entry_args* args);

#pragma once

#include <array>

#include "epp/cpp/plugin.h"
#include "plugins/common/inflight_ledger.h"

namespace epp::plugins {

// prefix-cache-affinity-filter: narrows the candidates to the "sticky" ones, which hold at
// least `affinityThreshold` of the request's prefix, unless none does, the request is drawn
// for exploration, or the best sticky endpoint's estimated time to first token exceeds the
// best other's by more than `maxTTFTPenaltyMs` (then every candidate is kept).
class PrefixCacheAffinityFilter : public cpp::Plugin,
                                  public cpp::Filter,
                                  public cpp::PreRequestHook,
                                  public cpp::ResponseHooks,
                                  public cpp::EndpointHooks {
 public:
  static constexpr double kDefaultAffinityThreshold = 0.80;
  static constexpr double kDefaultMaxTtftPenaltyMs = 18000;
  // Tokens/s; the reference's calibration for Qwen 32B on 2x H100 (TP=2), vLLM 0.19.
  static constexpr double kDefaultPeakPrefillThroughput = 15928;

  // Outcomes counted in llm_d_epp_prefix_cache_affinity_filter_decisions_total.
  enum Outcome { kSticky, kNoMatch, kLoadOverride, kExploration, kNotApplicable, kOutcomes };

  explicit PrefixCacheAffinityFilter(const cpp::CreateContext& ctx);

  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;
  void preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) override;
  void requestComplete(const cpp::Request& request, const cpp::Response* response,
                       epp_request_outcome outcome) override;
  void endpointsRemoved(std::span<const uint64_t> endpointIds) override;

 private:
  Outcome decide(const cpp::Request& request, const cpp::EndpointList& candidates,
                 std::span<uint8_t> keep);
  // Estimated time to first token of an endpoint (ms): its uncached tokens in flight at the
  // peak prefill throughput.
  double ttftMs(const InflightLoad& load) const;

  double affinityThreshold_;
  double explorationProbability_;
  double maxTtftPenaltyMs_;
  double peakPrefillThroughput_;
  InflightLedger ledger_;
  std::array<cpp::Series, kOutcomes> decisions_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppPrefixCacheAffinityFilterEntry(const epp_entry_args* args);

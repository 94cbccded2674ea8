#pragma once

#include "epp/cpp/plugin.h"
#include "plugins/common/inflight_ledger.h"

namespace epp::plugins {

// token-load-scorer: prefers endpoints with fewer prompt tokens in flight. An endpoint's load
// is the uncached prompt tokens of the requests routed there and not completed, plus the
// tokens of this request it would have to prefill; the score is 1 - min(load, threshold) /
// threshold.
class TokenLoadScorer : public cpp::Plugin,
                        public cpp::Scorer,
                        public cpp::PreRequestHook,
                        public cpp::ResponseHooks,
                        public cpp::EndpointHooks {
 public:
  static constexpr int64_t kDefaultQueueThresholdTokens = 4194304;  // 128 requests of 32k

  explicit TokenLoadScorer(const cpp::CreateContext& ctx);

  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;
  void preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) override;
  void requestComplete(const cpp::Request& request, const cpp::Response* response,
                       epp_request_outcome outcome) override;
  void endpointsRemoved(std::span<const uint64_t> endpointIds) override;

 private:
  double threshold_;
  InflightLedger ledger_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppTokenLoadScorerEntry(const epp_entry_args* args);

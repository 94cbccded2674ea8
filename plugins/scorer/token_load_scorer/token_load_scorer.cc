#include "plugins/scorer/token_load_scorer/token_load_scorer.h"

#include <algorithm>
#include <vector>

namespace epp::plugins {

TokenLoadScorer::TokenLoadScorer(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      threshold_(static_cast<double>(
          ctx.params().getInt("queueThresholdTokens", kDefaultQueueThresholdTokens, 1))) {
  const cpp::Params& params = ctx.params();
  // Multimodal placeholder tokens are not counted by eppd: every token weighs the same.
  params.getDouble("nonTextTokenWeight", 1.0, 0.0);
  if (params.has("inFlightLoadProducerName")) {
    params.getString("inFlightLoadProducerName", "");
    log(cpp::LogLevel::kInfo,
        "inFlightLoadProducerName is ignored: this scorer counts in-flight tokens itself");
  }
}

void TokenLoadScorer::score(const cpp::Request& request, const cpp::EndpointList& candidates,
                            std::span<double> scores) {
  std::vector<InflightLoad> loads(candidates.size());
  ledger_.read(candidates, loads);
  const std::vector<int64_t> own = uncachedPromptTokens(request, candidates);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double load = static_cast<double>(std::max<int64_t>(0, loads[i].tokens + own[i]));
    scores[i] = 1.0 - std::min(load, threshold_) / threshold_;
  }
}

void TokenLoadScorer::preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) {
  ledger_.book(*this, request, result, [&request](const cpp::Endpoint& target) {
    return uncachedPromptTokens(request, target);
  });
}

void TokenLoadScorer::requestComplete(const cpp::Request& request, const cpp::Response*,
                                      epp_request_outcome) {
  ledger_.release(*this, request);
}

void TokenLoadScorer::endpointsRemoved(std::span<const uint64_t> endpointIds) {
  ledger_.forget(endpointIds);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppTokenLoadScorerEntry, "token-load-scorer", "1.0.0",
                    "Prefers endpoints with fewer prompt tokens in flight",
                    EPP_TYPE(epp::plugins::TokenLoadScorer, "token-load-scorer",
                             "1 - min(tokens in flight + this request's uncached tokens, "
                             "queueThresholdTokens) / queueThresholdTokens"))

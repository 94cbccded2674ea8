#include "plugins/filter/prefix_cache_affinity_filter/prefix_cache_affinity_filter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

namespace epp::plugins {
namespace {

constexpr std::string_view kPrefillThroughput = "prefillThroughput";
constexpr std::string_view kOutcomeNames[] = {"sticky", "no_match", "load_override", "exploration",
                                              "not_applicable"};

void rejectUnsupported(const cpp::Params& params, std::string_view key, std::string_view why) {
  if (!params.has(key)) return;
  params.getNode(key);
  throw cpp::Error(params.location(key) + ": parameter \"" + std::string(key) +
                       "\" is not supported by eppd: " + std::string(why),
                   EPP_ERR_UNIMPLEMENTED);
}

}  // namespace

PrefixCacheAffinityFilter::PrefixCacheAffinityFilter(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      affinityThreshold_(
          ctx.params().getDouble("affinityThreshold", kDefaultAffinityThreshold, 0.0, 1.0)),
      explorationProbability_(ctx.params().getDouble("explorationProbability", 0.0, 0.0, 1.0)),
      maxTtftPenaltyMs_(ctx.params().getDouble("maxTTFTPenaltyMs", kDefaultMaxTtftPenaltyMs, 0.0)),
      peakPrefillThroughput_(
          ctx.params().getDouble("peakPrefillThroughput", kDefaultPeakPrefillThroughput, 0.0)) {
  const cpp::Params& params = ctx.params();
  const std::string source = params.getString("ttftSource", kPrefillThroughput);
  if (source == "latencyPredictor") {
    throw cpp::Error(params.location("ttftSource") +
                         ": ttftSource \"latencyPredictor\" needs the reference's latency "
                         "predictor, which eppd does not have; use \"prefillThroughput\"",
                     EPP_ERR_UNIMPLEMENTED);
  }
  if (source != kPrefillThroughput) {
    throw cpp::Error(params.location("ttftSource") +
                     ": parameter \"ttftSource\" must be \"prefillThroughput\", not \"" + source +
                     "\"");
  }
  if (maxTtftPenaltyMs_ > 0 && peakPrefillThroughput_ <= 0) {
    throw cpp::Error(params.location("peakPrefillThroughput") +
                     ": parameter \"peakPrefillThroughput\" must be above 0 while "
                     "maxTTFTPenaltyMs is above 0");
  }
  for (std::string_view key :
       {"prefillCalibrationFile", "prefillCalibrationFingerprint", "prefillCalibrationRequired"}) {
    rejectUnsupported(params, key, "set peakPrefillThroughput to the measured value instead");
  }
  for (std::string_view key : {"prefixMatchInfoProducerName", "inFlightLoadProducerName",
                               "latencyPredictionInfoProducerName"}) {
    if (!params.has(key)) continue;
    params.getString(key, "");
    log(cpp::LogLevel::kInfo, std::string(key) +
                                  " is ignored: prefix matches come from "
                                  "approx-prefix-cache-producer, in-flight tokens are counted "
                                  "by this filter");
  }
  cpp::Metric metric =
      registerMetric(EPP_METRIC_COUNTER, "llm_d_epp_prefix_cache_affinity_filter_decisions_total",
                     "Prefix cache affinity filter decisions, by outcome.", {"outcome"});
  for (size_t i = 0; i < kOutcomes; ++i) decisions_[i] = metric.series({kOutcomeNames[i]});
}

void PrefixCacheAffinityFilter::filter(const cpp::Request& request,
                                       const cpp::EndpointList& candidates,
                                       std::span<uint8_t> keep) {
  std::fill(keep.begin(), keep.end(), uint8_t{1});
  const Outcome outcome = decide(request, candidates, keep);
  if (outcome != kSticky) std::fill(keep.begin(), keep.end(), uint8_t{1});
  decisions_[outcome].add(1);
}

PrefixCacheAffinityFilter::Outcome PrefixCacheAffinityFilter::decide(
    const cpp::Request& request, const cpp::EndpointList& candidates, std::span<uint8_t> keep) {
  if (candidates.size() <= 1 || affinityThreshold_ <= 0) return kNotApplicable;
  // Draw only when exploring is on, so the request's random sequence is otherwise untouched.
  if (explorationProbability_ > 0 && request.randomUnit() < explorationProbability_) {
    return kExploration;
  }
  const auto ratios = request.dataGet(kMatchRatioKey, candidates);
  size_t sticky = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double ratio = ratios && std::isfinite((*ratios)[i]) ? (*ratios)[i] : 0.0;
    keep[i] = ratio >= affinityThreshold_;
    sticky += keep[i];
  }
  if (sticky == 0) return kNoMatch;
  if (maxTtftPenaltyMs_ > 0 && sticky < candidates.size()) {
    std::vector<InflightLoad> loads(candidates.size());
    ledger_.read(candidates, loads);
    double bestSticky = std::numeric_limits<double>::infinity();
    double bestOther = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < candidates.size(); ++i) {
      double& best = keep[i] ? bestSticky : bestOther;
      best = std::min(best, ttftMs(loads[i]));
    }
    if (bestSticky - bestOther > maxTtftPenaltyMs_) return kLoadOverride;
  }
  return kSticky;
}

double PrefixCacheAffinityFilter::ttftMs(const InflightLoad& load) const {
  return static_cast<double>(std::max<int64_t>(0, load.tokens)) / peakPrefillThroughput_ * 1000.0;
}

void PrefixCacheAffinityFilter::preRequest(const cpp::Request& request,
                                           const cpp::SchedulingResult& result) {
  ledger_.book(*this, request, result, [&request](const cpp::Endpoint& target) {
    return uncachedPromptTokens(request, target);
  });
}

void PrefixCacheAffinityFilter::requestComplete(const cpp::Request& request, const cpp::Response*,
                                                epp_request_outcome) {
  ledger_.release(*this, request);
}

void PrefixCacheAffinityFilter::endpointsRemoved(std::span<const uint64_t> endpointIds) {
  ledger_.forget(endpointIds);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppPrefixCacheAffinityFilterEntry, "prefix-cache-affinity-filter", "1.0.0",
                    "Keeps the endpoints that hold the request's prefix while they are not "
                    "overloaded",
                    EPP_TYPE(epp::plugins::PrefixCacheAffinityFilter,
                             "prefix-cache-affinity-filter",
                             "prefix match >= affinityThreshold, unless exploring or the "
                             "sticky endpoints' TTFT exceeds the others' by maxTTFTPenaltyMs"))

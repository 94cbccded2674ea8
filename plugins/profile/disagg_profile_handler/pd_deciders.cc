#include "plugins/profile/disagg_profile_handler/pd_deciders.h"

#include <vector>

#include "plugins/profile/disagg_profile_handler/pd_decider_data.h"

namespace epp::plugins {
namespace {

void publish(const cpp::Request& request, const std::string& key,
             const cpp::EndpointList& candidates, double value) {
  if (candidates.empty()) return;
  std::vector<uint64_t> ids;
  ids.reserve(candidates.size());
  for (auto e : candidates) ids.push_back(e.id());
  const std::vector<double> values(candidates.size(), value);
  request.dataPut(key, ids, values);
}

}  // namespace

PrefixBasedPdDecider::PrefixBasedPdDecider(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      key_(pd::deciderKey(ctx.name())),
      nonCachedTokens_(ctx.params().getInt("nonCachedTokens", 0, /*min=*/0)),
      promptTokens_(ctx.params().getInt("promptTokens", 0, /*min=*/0)) {
  if (nonCachedTokens_ == 0) {
    log(cpp::LogLevel::kInfo, "nonCachedTokens is 0: prefill never runs on a separate endpoint");
  }
}

void PrefixBasedPdDecider::prepareRequest(const cpp::Request& request,
                                          const cpp::EndpointList& candidates) {
  const int64_t tokens = pd::promptTokens(request);
  double maxCached = pd::kNever;
  if (nonCachedTokens_ > 0 && tokens >= nonCachedTokens_ && tokens >= promptTokens_) {
    // Prefill when tokens - cached >= nonCachedTokens.
    maxCached = static_cast<double>(tokens - nonCachedTokens_);
  }
  publish(request, key_, candidates, maxCached);
}

AlwaysDisaggPdDecider::AlwaysDisaggPdDecider(const cpp::CreateContext& ctx)
    : Plugin(ctx), key_(pd::deciderKey(ctx.name())) {}

void AlwaysDisaggPdDecider::prepareRequest(const cpp::Request& request,
                                           const cpp::EndpointList& candidates) {
  publish(request, key_, candidates, pd::kAlways);
}

}  // namespace epp::plugins

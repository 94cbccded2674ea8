#pragma once

#include <shared_mutex>

#include "epp/cpp/plugin.h"
#include "plugins/scorer/prefix_cache/prefix_cache_config.h"
#include "plugins/scorer/prefix_cache/prefix_index.h"

namespace epp::plugins {

inline constexpr std::string_view kIndexSizeMetric = "inference_extension_prefix_indexer_size";
inline constexpr std::string_view kHitRatioMetric = "inference_extension_prefix_indexer_hit_ratio";

// approx-prefix-cache-producer: keeps an approximate index of the prompt prefixes each
// endpoint has cached (what eppd sent where) and, before scheduling, publishes every
// candidate's matched / total leading prefix blocks under kMatchRatioKey for
// prefix-cache-scorer (and the matched tokens under kMatchedTokensKey). After the decision
// it records the request's blocks on the endpoints it goes to.
//
// When eppd re-creates it (new parameters, or a new version of this library loaded beside
// the old one) the old instance hands its index to the new one ("prefix-index/v1", see
// prefix_index_codec.h), so a reload does not start from a cold cache.
class ApproxPrefixCacheProducer : public cpp::Plugin,
                                  public cpp::PrepareRequestHook,
                                  public cpp::PreRequestHook,
                                  public cpp::EndpointHooks,
                                  public cpp::StateHandover {
 public:
  explicit ApproxPrefixCacheProducer(const cpp::CreateContext& ctx);

  // cpp::PrepareRequestHook
  void prepareRequest(const cpp::Request& request, const cpp::EndpointList& candidates) override;
  // cpp::PreRequestHook
  void preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) override;
  // cpp::EndpointHooks
  void endpointsRemoved(std::span<const uint64_t> endpointIds) override;
  // cpp::StateHandover
  std::optional<cpp::ExportedState> exportState() override;
  bool importState(std::string_view format, std::string_view data) override;

 private:
  PrefixCacheConfig config_;
  // Matching reads the index under a shared lock; recording and removal take it exclusively.
  mutable std::shared_mutex mutex_;
  PrefixIndex index_;
  cpp::Series indexSize_;
  cpp::Series hitRatio_;
};

}  // namespace epp::plugins

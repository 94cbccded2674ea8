#pragma once

#include "epp/cpp/plugin.h"
#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

namespace epp::plugins {

// prefix-cache-scorer: scores each candidate with the share of the request's prompt prefix
// it is believed to hold (matched / total blocks), as published by
// approx-prefix-cache-producer. Without producer data every candidate scores 0.
//
// It also accepts the producer's parameters, which configs written for older releases put on
// the scorer: they are validated and kept here, and eppd creates the producer from them
// when the config has none.
class PrefixCacheScorer : public cpp::Plugin, public cpp::Scorer {
 public:
  static constexpr epp_scorer_category kCategory = EPP_SCORER_AFFINITY;

  explicit PrefixCacheScorer(const cpp::CreateContext& ctx);
  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;

  const PrefixCacheConfig& producerConfig() const { return producerConfig_; }

 private:
  PrefixCacheConfig producerConfig_;
};

}  // namespace epp::plugins

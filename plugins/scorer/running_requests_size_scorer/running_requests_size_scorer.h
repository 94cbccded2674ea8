#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// running-requests-size-scorer: prefers endpoints running fewer requests, min-max normalised
// over the candidates that have metrics: (max - r) / (max - min); all equal scores 1. An
// endpoint without metrics scores 0.
class RunningRequestsSizeScorer : public cpp::Plugin, public cpp::Scorer {
 public:
  explicit RunningRequestsSizeScorer(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppRunningRequestsSizeScorerEntry(const epp_entry_args* args);

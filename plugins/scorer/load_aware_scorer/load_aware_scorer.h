#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// load-aware-scorer: an empty waiting queue scores 0.5, a queue of q requests
// 0.5 * (1 - min(q, threshold) / threshold), so a queue at the threshold scores 0. The score
// is absolute (not relative to the other candidates). An endpoint without metrics scores 0.
class LoadAwareScorer : public cpp::Plugin, public cpp::Scorer {
 public:
  static constexpr int64_t kDefaultThreshold = 128;

  explicit LoadAwareScorer(const cpp::CreateContext& ctx);
  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;

 private:
  double threshold_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLoadAwareScorerEntry(const epp_entry_args* args);

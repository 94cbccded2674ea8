#pragma once

#include "epp/cpp/plugin.h"
#include "plugins/common/inflight_ledger.h"

namespace epp::plugins {

// active-request-scorer: prefers endpoints with fewer requests in flight (routed by eppd and
// not yet completed). An endpoint with at most `idleThreshold` in flight scores 1; a busier
// one (max - n) / max * maxBusyScore, where max is the largest count among the candidates.
class ActiveRequestScorer : public cpp::Plugin,
                            public cpp::Scorer,
                            public cpp::PreRequestHook,
                            public cpp::ResponseHooks,
                            public cpp::EndpointHooks {
 public:
  explicit ActiveRequestScorer(const cpp::CreateContext& ctx);

  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;
  void preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) override;
  void requestComplete(const cpp::Request& request, const cpp::Response* response,
                       epp_request_outcome outcome) override;
  void endpointsRemoved(std::span<const uint64_t> endpointIds) override;

 private:
  int64_t idleThreshold_;
  double maxBusyScore_;
  InflightLedger ledger_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppActiveRequestScorerEntry(const epp_entry_args* args);

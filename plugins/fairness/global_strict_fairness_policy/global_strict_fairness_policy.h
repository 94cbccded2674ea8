#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// global-strict-fairness-policy: no fairness between flows. The flow whose head request
// was enqueued first (lowest head sequence) dispatches next, so with an FCFS ordering
// policy a band serves its requests in global arrival order across all flows.
class GlobalStrictFairnessPolicy : public cpp::Plugin, public cpp::FairnessPolicy {
 public:
  explicit GlobalStrictFairnessPolicy(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  size_t pickFlow(cpp::BandState* state, const cpp::FlowList& flows) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppGlobalStrictFairnessPolicyEntry(const epp_entry_args* args);

#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// weighted-splitter: chooses a rule's target at random with probability weight / Σweight
// (InferenceModelRewrite's weighted targets), from the request's seeded generator. No
// parameters.
class WeightedSplitter : public cpp::Plugin, public cpp::TrafficSplitter {
 public:
  explicit WeightedSplitter(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  size_t split(const cpp::Request& request, const cpp::SplitTargets& targets) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppWeightedSplitterEntry(const epp_entry_args* args);

#pragma once

#include <memory>
#include <string>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// round-robin-fairness-policy: the band's non-empty flows take turns, one dispatch each,
// in the byte order of their fairness ids. The cursor is the id served last, not a
// position in the host's list, so flows that appear or disappear between calls (or a
// list passed in another order) neither skip nor repeat anyone's turn.
class RoundRobinFairnessPolicy : public cpp::Plugin, public cpp::FairnessPolicy {
 public:
  struct Cursor : cpp::BandState {
    bool started = false;
    std::string lastServed;
  };

  explicit RoundRobinFairnessPolicy(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  std::unique_ptr<cpp::BandState> newBandState(int32_t priority) override;
  size_t pickFlow(cpp::BandState* state, const cpp::FlowList& flows) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppRoundRobinFairnessPolicyEntry(const epp_entry_args* args);

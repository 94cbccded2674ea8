#pragma once

#include <optional>
#include <string>
#include <vector>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// canary-splitter: one target of a rule is the canary (parameter `canary`, default the last
// target). A request carrying header `header` (with one of `headerValues`, when given) goes
// to the canary; any other goes to the canary with probability `percentage` / 100 (default:
// the canary's share of the rule's weights), else to the other targets by weight.
class CanarySplitter : public cpp::Plugin, public cpp::TrafficSplitter {
 public:
  explicit CanarySplitter(const cpp::CreateContext& ctx);
  size_t split(const cpp::Request& request, const cpp::SplitTargets& targets) override;

 private:
  bool headerSelects(const cpp::Request& request) const;

  std::string canary_;                // empty: the last target
  std::optional<double> percentage_;  // unset: from the weights
  std::string header_;                // empty: no header routing
  std::vector<std::string> headerValues_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppCanarySplitterEntry(const epp_entry_args* args);

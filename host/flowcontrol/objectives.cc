#include "host/flowcontrol/objectives.h"

namespace epp::flowcontrol {

Objectives::Objectives(const std::vector<config::ObjectiveSpec>& specs) {
  for (const auto& spec : specs) byName_.emplace(spec.name, spec.priority);
}

ObjectivePriority Objectives::lookup(std::string_view name) const {
  auto it = byName_.find(name);
  if (it == byName_.end()) return {};
  return {it->second, true};
}

}  // namespace epp::flowcontrol

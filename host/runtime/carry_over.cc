#include "host/runtime/carry_over.h"

#include <nlohmann/json.hpp>

#include "host/runtime/config_snapshot.h"

namespace epp::runtime {
namespace {

// A JSON document mirrors the YAML tree; nlohmann::json's objects are ordered maps, so
// dumping it sorts keys at every level.
nlohmann::json toCanonical(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  if (node.IsScalar()) return node.Tag() + " " + node.Scalar();
  if (node.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node) out.push_back(toCanonical(item));
    return out;
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    std::string text = key.IsScalar() ? key.Scalar() : toCanonical(key).dump();
    out[text] = toCanonical(entry.second);
  }
  return out;
}

}  // namespace

std::string canonicalParameters(const YAML::Node& parameters) {
  return toCanonical(parameters).dump();
}

Predecessor findPredecessor(const ConfigSnapshot* previous, const std::string& name,
                            const loader::RegisteredType& type,
                            const std::string& canonicalParams) {
  Predecessor out;
  if (previous == nullptr) return out;
  for (size_t i = 0; i < previous->instances.size(); ++i) {
    const auto& candidate = previous->instances[i];
    if (candidate->name() != name) continue;
    out.instance = candidate;
    out.createdInGeneration = previous->instanceInfo[i].createdInGeneration;
    out.sameType = candidate->typeName() == type.type->type_name;
    out.reusable = out.sameType && candidate->library()->sha256() == type.library->sha256() &&
                   previous->instanceInfo[i].parameters == canonicalParams;
    return out;
  }
  return out;
}

}  // namespace epp::runtime

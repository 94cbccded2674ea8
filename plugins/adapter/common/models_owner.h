// File: plugins/adapter/common/models_owner.h
//
// Engine detection shared by the adapters whose servers name themselves in /v1/models:
// true when some model entry's `owned_by` is one of `owners`. Header-only, so each
// adapter library stays self-contained.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "epp/cpp/plugin.h"

namespace epp::plugins::adapter {

inline bool modelsOwnedBy(std::string_view modelsBody, const std::vector<std::string>& owners) {
  nlohmann::json doc = nlohmann::json::parse(modelsBody, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("data") || !doc["data"].is_array()) {
    throw cpp::Error("not a /v1/models response: expected {\"data\": [...]}");
  }
  for (const auto& model : doc["data"]) {
    if (!model.is_object() || !model.contains("owned_by") || !model["owned_by"].is_string()) {
      continue;
    }
    const auto& owner = model["owned_by"].get_ref<const std::string&>();
    for (const auto& o : owners) {
      if (owner == o) return true;
    }
  }
  return false;
}

}  // namespace epp::plugins::adapter

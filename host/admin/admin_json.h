// File: host/admin/admin_json.h
//
// The JSON documents of the admin view, built from the live snapshots.
#pragma once

#include <nlohmann/json.hpp>

#include "host/datalayer/endpoint_snapshot.h"
#include "host/loader/plugin_registry.h"
#include "host/runtime/config_snapshot.h"
#include "host/runtime/decision_log.h"

namespace epp::admin {

nlohmann::json configJson(const runtime::ConfigSnapshot& config);
nlohmann::json pluginsJson(const runtime::ConfigSnapshot& config,
                           const loader::PluginRegistry& registry);
nlohmann::json endpointsJson(const datalayer::EndpointSnapshot& endpoints, int64_t nowNs);
nlohmann::json decisionJson(const runtime::DecisionRecord& record);

// Applies a POST /endpoints/state body to `states`; the error names the bad field.
common::Status applyEndpointState(const nlohmann::json& body,
                                  std::vector<datalayer::EndpointState>& states, int64_t nowNs);

}  // namespace epp::admin

// File: host/admin/admin_json.h
//
// The JSON documents of the admin view, built from the live snapshots.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "host/datalayer/endpoint_snapshot.h"
#include "host/flowcontrol/flow_queues.h"
#include "host/loader/plugin_registry.h"
#include "host/runtime/config_snapshot.h"
#include "host/runtime/decision_log.h"
#include "host/runtime/reload_outcome.h"

namespace epp::admin {

// `live`: every snapshot still alive (the current one included), for `liveGenerations`.
nlohmann::json configJson(const runtime::ConfigSnapshot& config,
                          const std::optional<runtime::ReloadOutcome>& lastReload = std::nullopt,
                          const std::vector<runtime::ConfigSnapshotPtr>& live = {});
// Libraries: those of the current registry and those old snapshots still hold, each with
// `snapshots` (how many live snapshots hold it) and `generations`.
nlohmann::json pluginsJson(const runtime::ConfigSnapshot& config,
                           const loader::PluginRegistry& registry,
                           const std::vector<runtime::ConfigSnapshotPtr>& live = {});
nlohmann::json reloadJson(const runtime::ReloadOutcome& outcome);
nlohmann::json endpointsJson(const datalayer::EndpointSnapshot& endpoints, int64_t nowNs);
nlohmann::json decisionJson(const runtime::DecisionRecord& record);
// The current flow-control config and what its queues hold.
nlohmann::json flowControlJson(const flowcontrol::FlowControlConfig& config,
                               const std::vector<flowcontrol::BandStats>& bands);

// Applies a POST /endpoints/state body to `states`; the error names the bad field.
common::Status applyEndpointState(const nlohmann::json& body,
                                  std::vector<datalayer::EndpointState>& states, int64_t nowNs);

}  // namespace epp::admin

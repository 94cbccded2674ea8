// File: host/runtime/static_endpoints.h
//
// The config's `endpoints:` as endpoint states. At a reload the listed set replaces the
// live one, but an endpoint that stays (same pool and ip:port) keeps what the data layer
// learnt about it (metrics, health, age): editing a weight must not blind the scorers
// until the next scrape. In-flight counts carry over in EndpointStore itself.
#pragma once

#include <string_view>
#include <vector>

#include "host/common/result.h"
#include "host/config/picker_config.h"
#include "host/datalayer/endpoint_snapshot.h"

namespace epp::runtime {

std::vector<datalayer::EndpointState> staticEndpoints(const config::PickerConfig& config);

// One configured endpoint as a state reported by `source` ("static", "file", "dns").
datalayer::EndpointState endpointState(const config::EndpointSpec& spec, std::string source);

// Copies what the data layer learnt (metrics, health, age, scrape errors) from `from`.
void copyLearnt(const datalayer::EndpointState& from, datalayer::EndpointState& to);

// The endpoints of `config`, each with the learnt state of its namesake in `current`,
// followed by the endpoints of `current` that other sources (file, dns) reported.
std::vector<datalayer::EndpointState> mergeStaticEndpoints(
    const config::PickerConfig& config, const std::vector<datalayer::EndpointState>& current);

// True when both configs list the same endpoints with the same attributes.
bool sameStaticEndpoints(const config::PickerConfig& a, const config::PickerConfig& b);

// `eppd serve --endpoint [NAME=]ADDRESS:PORT` (IPv6 as [ADDRESS]:PORT): an endpoint with
// the defaults of the config's `endpoints:` entries (engine vllm, pool default).
common::Result<config::EndpointSpec> parseEndpointFlag(std::string_view text);

// Appends `extra` after the config's own endpoints (every load and reload does, so a
// command line's endpoints survive a config edit); an address or name already listed is an
// error that names both.
common::Status addEndpoints(config::PickerConfig& config,
                            const std::vector<config::EndpointSpec>& extra);

}  // namespace epp::runtime

// File: host/datalayer/scrape_outcome.h
//
// The result of polling one endpoint once, and how results change endpoint state: a
// success replaces the metrics and resets the failure count; `failureThreshold`
// consecutive failures make the endpoint unhealthy (it leaves the candidate set) until it
// answers again; so does a health probe the adapter calls unhealthy, until a probe says
// otherwise (its reason stays the endpoint's error meanwhile); metrics older than
// `stalenessNs` are flagged stale. Endpoints whose state
// is set by hand (POST /endpoints/state) or that are not scraped are left alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/datalayer/backend_adapter.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/datalayer/scrape_setup.h"

namespace epp::datalayer {

struct ScrapeOutcome {
  std::string pool;
  std::string hostPort;
  bool ok = false;
  // On failure: a short machine reason (the metric label) and the message for /endpoints.
  std::string reason;  // connect, tls, timeout, http-status, body-too-large, parse, empty, …
  std::string error;
  ParsedMetrics metrics;
  std::optional<epp_health> probedHealth;  // set when /health was asked this time
  std::string healthError;                 // probedHealth not servable: why, for /endpoints
  std::string detectedEngine;              // engine `auto`: what /v1/models showed
  int64_t atNs = 0;
};

// Whether requests may go to an endpoint in this state of health (unknown: not probed yet).
inline bool servable(epp_health health) {
  return health == EPP_HEALTH_HEALTHY || health == EPP_HEALTH_UNKNOWN;
}

// Applies `outcomes` and refreshes the stale flags. Returns true when any state changed.
bool applyOutcomes(std::vector<EndpointState>& states, const std::vector<ScrapeOutcome>& outcomes,
                   const ScrapeSettings& settings, int64_t nowNs);

// True when some scraped endpoint's stale flag would change at `nowNs`.
bool stalenessChanges(const EndpointSnapshot& snapshot, const ScrapeSettings& settings,
                      int64_t nowNs);

}  // namespace epp::datalayer

// File: host/runtime/dry_run.h
//
// The last check before a reload publishes: one scheduling decision through the new
// snapshot on a synthetic request, over the endpoints it will serve (or one synthetic
// endpoint when there are none). Its prepare-request hooks, profile handler, filters,
// scorers and pickers run; pre-request and response hooks do not, so nothing is recorded
// in carried-over state (a prefix index learns nothing from the dry run). A plugin fault
// (error status, NaN, bad index, exception in a C++ plugin) fails the reload. An empty
// result does not: a filter may rightly find nothing for a made-up request.
#pragma once

#include "host/common/result.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/runtime/config_snapshot.h"

namespace epp::runtime {

common::Status dryRunDecision(const ConfigSnapshot& snapshot,
                              datalayer::EndpointSnapshotPtr endpoints);

// An endpoint snapshot of `states` that shares no in-flight counter with the live store.
datalayer::EndpointSnapshotPtr detachedEndpoints(std::vector<datalayer::EndpointState> states);

}  // namespace epp::runtime

// File: host/runtime/pool_metrics.h
//
// The reference's inference_pool_* gauges from an endpoint snapshot: per pool, the
// endpoints a request may go to (healthy or not yet probed) and, over those with metrics,
// the average KV-cache utilisation, waiting queue and running batch.
#pragma once

#include "host/datalayer/endpoint_snapshot.h"

namespace epp::runtime {

// Sets the gauges of every pool in `snapshot`; a pool seen before and now gone reads 0.
void exportPoolMetrics(const datalayer::EndpointSnapshot& snapshot);

}  // namespace epp::runtime

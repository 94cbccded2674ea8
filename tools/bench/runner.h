// File: tools/bench/runner.h
//
// One run of a workload against one target, the way Envoy would carry it: through eppd
// over ext_proc (FULL_DUPLEX_STREAMED: headers, body chunks, the held routing reply, the
// echoed body; then the response headers and each SSE chunk as it arrives back through
// the response path), or directly, round-robin over the fleet (the baseline). Open-loop
// arrivals are sent at their times whatever is in flight; a closed loop keeps N in flight.
// Everything runs on one thread (an io_context) plus gRPC's own callback threads: many
// thousands of concurrent streams need no thread each.
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>
#include <vector>

#include "host/common/result.h"
#include "tools/bench/report/run.h"
#include "tools/bench/targets.h"
#include "tools/bench/workload/spec.h"

namespace epp::bench {

struct RunOptions {
  RunTarget target;
  std::vector<HostPort> fleet;  // direct: the endpoints to round-robin over
  // A request still unfinished after this fails with error "timeout".
  std::chrono::nanoseconds requestTimeout = std::chrono::minutes(5);
  size_t chunkBytes = 64 * 1024;     // request body chunks sent to eppd
  std::ostream* progress = nullptr;  // a progress bar here when set (a terminal)
};

common::Result<Run> runWorkload(const WorkloadSpec& spec, const RunOptions& options);

}  // namespace epp::bench

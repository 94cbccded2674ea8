// File: tools/replay/replay.h
//
// `eppd replay`: what a config would do, before it ships. A workload is played in virtual
// time against simulated model servers (the same engine as eppd-sim), in process and
// without sockets, through eppd's real request pipeline and the real plugin libraries. The
// same spec, seed and options give the same decisions and numbers on every run.
//
// Each request's lifecycle, in virtual time:
//   arrival → Pipeline::route (parse, schedule, pre-request hooks) → the picked server's
//   engine → first token → finish → the decision's response hooks (usage, completion)
// and every scrapeInterval the servers' state is published to the endpoint store, as the
// data layer would scrape it (so scorers see state as stale as they would in production).
#pragma once

#include <cstdint>
#include <string>

#include "host/common/result.h"
#include "host/runtime/config_loader.h"
#include "tools/bench/report/run.h"
#include "tools/bench/workload/spec.h"
#include "tools/sim/engine/engine_options.h"

namespace epp::replay {

struct ReplayOptions {
  bench::WorkloadSpec workload;
  int servers = 8;
  // Seeds the requests' generators (random picks, tie breaks); engines use their own seed.
  uint64_t seed = 1;
  sim::EngineOptions engine;
  // How often endpoint state is refreshed (the data layer's scrape interval).
  int64_t scrapeIntervalUs = 50'000;
  // eppd replicas in front of the fleet, each with its own plugin instances (its own
  // prefix index, say), taking requests in turn as a gateway spreads them. They share the
  // scraped endpoint state and, for plugins that subscribe, every server's KV events.
  int replicas = 1;
  // Record each request's primary scheduling profile in RequestRecord::profile (keeps every
  // request's decision until the end: memory and time grow with the workload).
  bool recordProfiles = false;
};

// Replays `options.workload` with the config `load` describes (its static `endpoints` are
// replaced by the simulated servers). Fails when the config does not load.
common::Result<bench::Run> replayConfig(const runtime::LoadOptions& load,
                                        const ReplayOptions& options);

}  // namespace epp::replay

// File: host/runtime/pipeline.h
//
// The request path behind the ext_proc transport, in the reference director's order: parse
// the body, resolve the model, the priority from the request's InferenceObjective, admission
// (legacy: shed a sheddable request while the pool is saturated), choose the candidate
// endpoints (healthy, within the gateway's subset hint), run the producers, schedule, run
// the pre-request hooks, and hand back the destination; then
// feed the response hooks and count the outcome. Each request keeps the config snapshot
// and endpoint snapshot it started with until its response completes.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "host/datalayer/endpoint_snapshot.h"
#include "host/extproc/request_pipeline.h"
#include "host/flowcontrol/live_pool.h"
#include "host/runtime/config_snapshot.h"
#include "host/runtime/decision_log.h"

namespace epp::runtime {

class Pipeline final : public extproc::RequestPipeline {
 public:
  using SnapshotSource = std::function<ConfigSnapshotPtr()>;
  // Seeds each request's generator (random picks, tie breaks). Unset: a random seed per
  // request; `eppd replay` passes a seeded sequence so a run repeats exactly.
  using SeedSource = std::function<uint64_t()>;

  Pipeline(SnapshotSource config, datalayer::EndpointStore& endpoints, DecisionLog& decisions,
           SeedSource seeds = {});
  ~Pipeline() override;

  void route(std::shared_ptr<extproc::RequestInput> input, extproc::RouteCallback done) override;

  // The decision for `input`, computed inline (what route() calls; also used by tests and
  // the replay simulator).
  extproc::RoutingDecision decide(const std::shared_ptr<extproc::RequestInput>& input);

 private:
  struct Pending;

  // The stages of decide(): prepare (parse, model, priority) answers or hands on a
  // Pending; admission; schedule answers.
  std::unique_ptr<Pending> prepare(const std::shared_ptr<extproc::RequestInput>& input,
                                   extproc::RoutingDecision& answer);
  std::optional<extproc::RoutingDecision> admitLegacy(Pending& pending);
  extproc::RoutingDecision schedule(Pending& pending);
  // Logs, counts and records a failed request; returns its ImmediateResponse decision.
  extproc::RoutingDecision fail(DecisionRecord& record, int status, const char* code,
                                std::string message, const std::string& detail = "");

  SnapshotSource config_;
  datalayer::EndpointStore& endpoints_;
  DecisionLog& decisions_;
  SeedSource seeds_;
  // Round-robin while every candidate's metrics are stale (DESIGN rule 8).
  std::atomic<uint64_t> roundRobin_{0};
  std::atomic<bool> degraded_{false};
  // What saturation detectors see: in-flight counts at most 5 ms old.
  flowcontrol::LivePool livePool_{5'000'000};
};

// Logs how admission works under `snapshot` (which detector; the flowControl gate).
void logAdmissionMode(const ConfigSnapshot& snapshot);

}  // namespace epp::runtime

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
#include <mutex>
#include <optional>
#include <string>

#include "host/datalayer/endpoint_snapshot.h"
#include "host/extproc/request_pipeline.h"
#include "host/flowcontrol/flow_controller.h"
#include "host/flowcontrol/live_pool.h"
#include "host/runtime/config_snapshot.h"
#include "host/runtime/decision_log.h"

namespace epp::runtime {

class TokenizeClient;

class Pipeline final : public extproc::RequestPipeline {
 public:
  using SnapshotSource = std::function<ConfigSnapshotPtr()>;
  // Seeds each request's generator (random picks, tie breaks). Unset: a random seed per
  // request; `eppd replay` passes a seeded sequence so a run repeats exactly.
  using SeedSource = std::function<uint64_t()>;

  // How the flow-control dispatcher runs: its own thread (eppd serve), or driven by the
  // owner through flowControl().pump() (eppd replay in virtual time).
  enum class FlowDrive { kThread, kManual };

  Pipeline(SnapshotSource config, datalayer::EndpointStore& endpoints, DecisionLog& decisions,
           SeedSource seeds = {}, FlowDrive flowDrive = FlowDrive::kThread);
  // Answers every request still queued with 503 first.
  ~Pipeline() override;

  // With the flowControl gate on, a request waits in flow control between the prepare and
  // schedule stages, and `done` is called from the dispatcher; otherwise inline.
  void route(std::shared_ptr<extproc::RequestInput> input, extproc::RouteCallback done) override;

  // The decision for `input`, computed inline with legacy admission whatever the gate says
  // (tests).
  extproc::RoutingDecision decide(const std::shared_ptr<extproc::RequestInput>& input);

  flowcontrol::FlowController& flowControl() { return *flow_; }
  // Tells flow control the pool may have room (an endpoint snapshot was published). Safe
  // to call after the pipeline is gone.
  std::function<void()> flowWaker() const;

 private:
  struct Pending;
  class Queued;

  // The stages of decide(): prepare (parse, model, priority) answers or hands on a
  // Pending; admission; schedule answers.
  std::unique_ptr<Pending> prepare(const std::shared_ptr<extproc::RequestInput>& input,
                                   extproc::RoutingDecision& answer);
  std::optional<extproc::RoutingDecision> admitLegacy(Pending& pending);
  extproc::RoutingDecision schedule(Pending& pending);
  // With the gate on: hands the prepared request to flow control.
  void enqueue(std::unique_ptr<Pending> pending, extproc::RouteCallback done);
  // After prepare: flow control, or legacy admission and scheduling; calls `done`.
  void proceed(std::unique_ptr<Pending> pending, extproc::RouteCallback done);
  // tokenization: the request carries text and no ids, and a model server can be asked.
  bool wantsTokens(const Pending& pending) const;
  // Asks a candidate's /tokenize for the prompt's ids, then proceeds (with or without
  // them) on the tokenizer's thread.
  void tokenizeThenProceed(std::unique_ptr<Pending> pending, extproc::RouteCallback done);
  TokenizeClient& tokenizer();
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
  // Outlives config reloads; observers hold it weakly to wake it on completion.
  std::shared_ptr<flowcontrol::FlowController> flow_;
  // Virtual time (eppd replay) has no servers to ask.
  bool tokenizeAllowed_ = true;
  std::atomic<uint64_t> tokenizeRoundRobin_{0};
  std::once_flag tokenizerOnce_;
  // Last: destroyed first, waiting for its calls, whose callbacks use the members above.
  std::unique_ptr<TokenizeClient> tokenizer_;
};

// Logs how admission works under `snapshot` (which detector; the flowControl gate).
void logAdmissionMode(const ConfigSnapshot& snapshot);

}  // namespace epp::runtime

// File: host/flowcontrol/flow_controller.h
//
// Flow control when the flowControl feature gate is on: requests wait in FlowQueues and a
// single dispatcher hands them to scheduling one at a time, each only after the saturation
// detector reads the pool (healthy endpoints, live in-flight counts) below 1.0. While the
// pool is saturated the queue holds (late binding: a request is scheduled against the
// endpoints of the moment it leaves, not of its arrival). The dispatcher looks again when
// a request completes (wake), when the data layer publishes endpoints (wake), and every
// `recheckNs` while something waits; TTL expiry is exact to that period.
//
// A queued request costs no thread: its FlowRequest (holding the transport's callback)
// sits in the queue. Its client going away removes it at once: the transport's cancel
// signal runs a hook that queues the id for the dispatcher, which takes the request out
// and answers 503.
//
// Two ways to run:
//   threaded (eppd serve): an Asio io_context on one thread runs every dispatch cycle and
//     the timer; enqueue() and wake() may be called from any thread.
//   manual (eppd replay, tests): no thread; the owner calls pump() after each event, on
//     one thread, and again at the time pump() returns.
//
// The controller outlives config reloads (the pipeline owns it): each cycle applies the
// current snapshot's FlowControlConfig to the queues. When a reload turns the gate off,
// what is queued is dispatched at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host/datalayer/endpoint_snapshot.h"
#include "host/flowcontrol/flow_control_config.h"
#include "host/flowcontrol/flow_queues.h"
#include "host/flowcontrol/flow_request.h"
#include "host/flowcontrol/legacy_admission.h"

namespace epp::flowcontrol {

class FlowController {
 public:
  using ConfigSource = std::function<std::shared_ptr<const FlowControlConfig>()>;

  // Plugin calls the owner accounts for (durations and faults go to its metrics and log).
  struct Hooks {
    std::function<void(const loader::PluginInstance& detector, const SaturationReading&)>
        saturationRead;
    std::function<void(const loader::PluginInstance& fairness, const std::string& fault)>
        fairnessFault;
  };

  struct Options {
    ConfigSource config;  // the current snapshot's flow-control config; never null
    datalayer::EndpointStore* endpoints = nullptr;
    bool threaded = true;
    int64_t recheckNs = 10'000'000;        // saturated: look again this often
    int64_t flowIdleNs = 300'000'000'000;  // forget a flow idle this long (the reference's 5 min)
    Hooks hooks;
  };

  explicit FlowController(Options options);
  ~FlowController();  // shutdown()
  FlowController(const FlowController&) = delete;
  FlowController& operator=(const FlowController&) = delete;

  // Queues `request` (or rejects it at once: limits reached, client gone, shutting down).
  // `requestConfig` is the config of the request's own snapshot, used when the
  // controller has none yet. Any thread.
  void enqueue(std::unique_ptr<FlowRequest> request, FlowRequestInfo info,
               std::shared_ptr<const FlowControlConfig> requestConfig);
  // Something that may unsaturate the pool happened; cheap when nothing waits. Any thread.
  void wake();
  // Manual mode: runs what is due now (host clock). Returns when to call it again at the
  // latest (INT64_MAX: only after the next enqueue or wake).
  int64_t pump();
  // Rejects everything queued with 503 and stops the dispatcher. Idempotent.
  void shutdown();

  size_t queued() const { return queued_.load(std::memory_order_relaxed); }
  std::vector<BandStats> stats() const;
  // Dispatches so far and the last saturation reading (for tests and /admin).
  uint64_t dispatched() const { return dispatched_.load(std::memory_order_relaxed); }

 private:
  struct Exit {
    std::unique_ptr<QueuedItem> item;
    QueueOutcome outcome;
    std::string detail;
  };

  // One pass: cancellations, expiries, config, then dispatch while the pool has room.
  // Returns the time the next pass is due (INT64_MAX: none).
  int64_t cycle();
  // Reads the detector over the current pool: its saturation, or 0 when there is no
  // detector or it failed (fail open).
  double saturation(const FlowControlConfig& config, int64_t nowNs);
  void finish(Exit exit, int64_t nowNs);
  void pushCancel(uint64_t id);
  void runCycleThreaded();

  Options options_;
  mutable std::mutex mutex_;  // guards queues_, stopped_, lastGcNs_
  FlowQueues queues_;
  bool stopped_ = false;
  int64_t lastGcNs_ = 0;
  std::vector<epp_endpoint_view> poolViews_;  // scratch of saturation()
  std::vector<const epp_endpoint_view*> poolPointers_;
  std::atomic<size_t> queued_{0};
  std::atomic<uint64_t> dispatched_{0};

  std::mutex cancelMutex_;  // guards cancelled_; never held with mutex_
  std::vector<uint64_t> cancelled_;

  // Manual mode.
  std::atomic<bool> wakeRequested_{false};
  int64_t nextDueNs_ = INT64_MAX;

  // Threaded mode.
  struct Loop;
  std::unique_ptr<Loop> loop_;
  std::atomic<bool> kickPending_{false};
};

}  // namespace epp::flowcontrol

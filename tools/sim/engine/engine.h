// File: tools/sim/engine/engine.h
//
// One simulated model server as a continuous-batching step loop in virtual time: pure
// and deterministic (no I/O, no threads, no clock), so the same engine runs behind the
// real-time HTTP simulator (eppd-sim) and inside a discrete-event replay.
//
// The model, after vLLM's scheduler:
// - A step is one forward pass. At its start the engine schedules, within a budget of
//   maxNumBatchedTokens tokens: every running request first (one token for a decoding
//   request, the rest of its prompt — or a chunk of it — for a prefilling one), then
//   waiting requests in arrival order while fewer than maxNumSeqs run.
// - A waiting request is admitted only if its uncached tokens' KV blocks can be had; if
//   not it waits and so does everything behind it (FCFS), which is what turns overload
//   into queue collapse. Its prompt's longest cached prefix (whole blocks, by chained
//   block hash) is reused and costs nothing to prefill.
// - A running request that needs a block when none is free preempts the most recently
//   admitted request, which loses its blocks and is recomputed later (vLLM's recompute
//   preemption).
// - A request for a LoRA adapter needs a slot (see LoraSlots); loading one costs time.
// - The step's cost (EngineOptions) decides when it ends; at its end every request that
//   caught up with its sequence produces one token.
//
// Driving it:
//   engine.advanceTo(now, sink);           // always first: process steps ending ≤ now
//   engine.submit(request, now);           // then add work arriving at `now`
//   engine.nextEventTime();                // when to call advanceTo next (if busy)
// A step starts when advanceTo is called while work waits, so requests submitted at the
// same time with no advanceTo between them share a step. A real-time driver sets a timer
// for nextEventTime(); a discrete-event loop jumps to min(next arrival, nextEventTime()).
// Sinks must not call back into the engine.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tools/sim/engine/engine_options.h"
#include "tools/sim/engine/histogram.h"
#include "tools/sim/engine/jitter.h"
#include "tools/sim/engine/kv_cache.h"
#include "tools/sim/engine/lora_slots.h"
#include "tools/sim/engine/sim_types.h"

namespace epp::sim {

// A snapshot of the engine's state and counters, from which every metrics dialect is
// rendered. Counters and histograms run from construction or the last resetCaches().
struct EngineMetrics {
  Micros now = 0;
  int32_t waiting = 0;
  int32_t waitingDeferred = 0;  // waiting for a LoRA slot rather than for capacity
  int32_t running = 0;
  int32_t runningPrefill = 0;  // running requests still computing their prompt
  int32_t maxNumSeqs = 0;
  int32_t maxNumBatchedTokens = 0;

  int32_t blockSize = 0;
  int32_t numBlocks = 0;
  int32_t usedBlocks = 0;    // referenced by running requests
  int32_t cachedBlocks = 0;  // holding a reusable prefix (referenced or not)
  double kvUsage = 0;        // usedBlocks / numBlocks

  int32_t maxLoras = 0;
  std::vector<std::string> runningLoras;  // adapters of running requests
  std::vector<std::string> waitingLoras;  // adapters of waiting requests, sorted

  uint64_t prefixQueryTokens = 0;  // prompt tokens looked up in the prefix cache
  uint64_t prefixHitTokens = 0;    // of those, found cached
  uint64_t promptTokens = 0;       // prompt tokens of admitted requests
  uint64_t prefillTokens = 0;      // tokens actually computed by prefill (uncached)
  uint64_t generationTokens = 0;
  uint64_t requestsSubmitted = 0;
  uint64_t requestsRejected = 0;
  uint64_t requestsFinished = 0;
  uint64_t requestsCancelled = 0;
  uint64_t preemptions = 0;
  uint64_t loraLoads = 0;
  uint64_t steps = 0;
  uint64_t scheduledSeqs = 0;  // Σ sequences per step (÷ steps = mean batch)
  int32_t maxStepTokens = 0;
  Micros prefillBusyUs = 0;  // step time spent on prefill
  Micros decodeBusyUs = 0;   // the rest of the step time

  Histogram ttft{ttftBuckets()};
  Histogram itl{itlBuckets()};
  Histogram tpot{itlBuckets()};  // per request: (e2e − ttft) / (output − 1)
  Histogram e2e{requestLatencyBuckets()};
  Histogram queueTime{requestLatencyBuckets()};
  Histogram prefillTime{requestLatencyBuckets()};
  Histogram decodeTime{requestLatencyBuckets()};
};

class Engine {
 public:
  // Options must be valid (options.validate() empty); throws std::invalid_argument if not.
  explicit Engine(EngineOptions options);

  // Queues a request arriving at `now` (≥ every earlier time given). Call advanceTo(now)
  // first. A rejected request leaves no trace but the rejection counter.
  SubmitResult submit(const SimRequest& request, Micros now);
  // Drops a waiting or running request (a client went away); false if unknown.
  bool cancel(uint64_t id);
  // Runs every step that ends at or before `until`, reporting to `sink`.
  void advanceTo(Micros until, EventSink& sink);
  // When advanceTo next has something to do: the end of the step in flight, or now if
  // work waits to be scheduled; nullopt when idle.
  std::optional<Micros> nextEventTime() const;

  EngineMetrics metrics() const;
  // Empties the prefix cache (blocks in use stay), unloads idle adapters, zeroes counters
  // and histograms. Requests in flight continue.
  void resetCaches();
  // Reports prefix-cache changes to `listener` from now on (nullptr: stop). Prompts are
  // then also tokenized (plugins/common/chars_tokenizer.h) for the events' token ids.
  void setKvEventListener(KvEventListener* listener);

  Micros now() const { return clock_; }
  bool idle() const { return !inFlight_ && waiting_.empty() && running_.empty(); }
  int32_t waitingCount() const { return static_cast<int32_t>(waiting_.size()); }
  int32_t runningCount() const { return static_cast<int32_t>(running_.size()); }
  const EngineOptions& options() const { return options_; }

 private:
  struct Request {
    uint64_t id = 0;
    uint32_t generation = 0;
    bool live = false;
    bool running = false;
    std::string lora;
    std::vector<uint64_t> hashes;
    std::vector<uint32_t> tokenIds;  // only while a KV-event listener is set
    std::vector<BlockId> blocks;
    int32_t promptTokens = 0;
    int32_t maxOutput = 0;
    int32_t numOutput = 0;
    int32_t numComputed = 0;  // tokens whose KV is computed
    int32_t registered = 0;   // leading blocks whose hash is registered
    int32_t cached = 0;       // prefix-cache hit at first admission
    int32_t preemptions = 0;
    Micros arrival = 0;
    Micros firstScheduled = -1;
    Micros firstToken = -1;
    Micros lastToken = -1;
    int32_t seqLen() const { return promptTokens + numOutput; }
  };
  struct Scheduled {
    int32_t slot;
    uint32_t generation;
    int32_t tokens;
  };

  bool hasWork() const { return !waiting_.empty() || !running_.empty(); }
  void planStep();
  void admitWaiting(int32_t& budget, int32_t& prefillTokens, int32_t& loraLoads);
  void completeStep(EventSink& sink);
  bool ensureBlocks(Request& r, int32_t tokens);
  void registerFullBlocks(Request& r, int32_t computedTokens);
  void releaseBlocks(Request& r);
  void preemptLast();
  void finish(int32_t slot, Micros at, EventSink& sink);
  void freeSlot(int32_t slot);
  KvEventListener* kvListener_ = nullptr;
  SubmitResult reject(RejectReason reason, std::string message);

  EngineOptions options_;
  KvCache kv_;
  LoraSlots loras_;
  Jitter jitter_;

  std::vector<Request> slots_;
  std::vector<int32_t> freeSlots_;
  std::unordered_map<uint64_t, int32_t> byId_;
  std::deque<int32_t> waiting_;
  std::vector<int32_t> running_;  // admission order

  std::vector<Scheduled> step_;
  bool inFlight_ = false;
  Micros stepEnd_ = 0;
  Micros clock_ = 0;
  uint64_t loraTick_ = 0;
  std::vector<BlockId> matched_;  // scratch
  std::vector<int32_t> skipped_;  // scratch

  EngineMetrics stats_;  // counters and histograms; gauges are filled by metrics()
};

}  // namespace epp::sim

// File: tools/sim/engine/sim_types.h
//
// What goes into the engine (SimRequest) and what comes out of it (events through an
// EventSink, rejections from submit).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tools/sim/engine/engine_options.h"

namespace epp::sim {

struct SimRequest {
  uint64_t id = 0;              // chosen by the caller, unique among live requests
  std::string_view model;       // served base model name
  std::string_view lora;        // adapter name; empty = the base model
  std::string_view prompt;      // prompt text; only its length and block hashes are kept
  int32_t maxOutputTokens = 1;  // tokens to generate (the simulator always generates all)
};

enum class RejectReason {
  kNone,
  kInvalid,            // maxOutputTokens < 1, duplicate id
  kTooLong,            // prompt + output > maxModelLen (an HTTP 400)
  kExceedsKvCapacity,  // could never fit in the KV cache, even alone
  kQueueFull,          // waiting queue at maxWaiting (an HTTP 429)
  kLoraDisabled,       // an adapter was named but maxLoras is 0
};

const char* rejectReasonName(RejectReason reason);

struct SubmitResult {
  RejectReason reason = RejectReason::kNone;
  std::string message;  // for a rejection: a one-line reason a client can read
  int32_t promptTokens = 0;
  bool accepted() const { return reason == RejectReason::kNone; }
};

struct FinishInfo {
  int32_t promptTokens = 0;
  int32_t cachedPromptTokens = 0;  // prefix-cache hit at the first admission
  int32_t outputTokens = 0;
  int32_t preemptions = 0;  // times the request lost its KV blocks and was recomputed
  Micros arrival = 0;
  Micros firstScheduled = 0;
  Micros firstToken = 0;
  Micros finished = 0;
  Micros ttft() const { return firstToken - arrival; }
  Micros e2e() const { return finished - arrival; }
  Micros queueTime() const { return firstScheduled - arrival; }
};

// Receives what happens at the end of each step, in time order. All hooks default to
// nothing so a driver overrides only what it needs.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // The request's first output token exists (prefill done).
  virtual void onFirstToken(uint64_t /*id*/, Micros /*at*/, int32_t /*promptTokens*/,
                            int32_t /*cachedPromptTokens*/) {}
  // `count` new output tokens (one per step today), `totalOutput` so far. Called for the
  // first token too, after onFirstToken.
  virtual void onTokens(uint64_t /*id*/, Micros /*at*/, int32_t /*count*/,
                        int32_t /*totalOutput*/) {}
  // The request generated all its tokens; its KV blocks are released (kept as cache).
  virtual void onFinished(uint64_t /*id*/, Micros /*at*/, const FinishInfo& /*info*/) {}
};

// What happens in the prefix cache, as a KV-event publisher reports it: a block's contents
// became reusable (its prefix hash, the previous block's, its token ids), or a reusable
// block was evicted. Called during Engine::advanceTo (and resetCaches).
class KvEventListener {
 public:
  virtual ~KvEventListener() = default;
  virtual void blockStored(uint64_t hash, std::optional<uint64_t> parent,
                           std::span<const uint32_t> tokenIds, int32_t blockSize,
                           std::string_view lora) = 0;
  virtual void blockRemoved(uint64_t hash) = 0;
};

}  // namespace epp::sim

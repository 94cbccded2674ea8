// File: tools/sim/tests/engine_test_support.h
//
// A recording EventSink and helpers to drive an Engine as a discrete-event loop.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tools/sim/engine/engine.h"

namespace epp::sim::testing {

struct TokenEvent {
  uint64_t id;
  Micros at;
  int32_t total;
};

class RecordingSink : public EventSink {
 public:
  void onFirstToken(uint64_t id, Micros at, int32_t promptTokens, int32_t cached) override {
    firstToken[id] = at;
    firstTokenCached[id] = cached;
    firstTokenPrompt[id] = promptTokens;
  }
  void onTokens(uint64_t id, Micros at, int32_t count, int32_t total) override {
    for (int32_t i = 0; i < count; ++i) tokens.push_back({id, at, total});
    tokenTimes[id].push_back(at);
  }
  void onFinished(uint64_t id, Micros at, const FinishInfo& info) override {
    finished[id] = info;
    finishOrder.push_back(id);
    (void)at;
  }

  std::map<uint64_t, Micros> firstToken;
  std::map<uint64_t, int32_t> firstTokenCached;
  std::map<uint64_t, int32_t> firstTokenPrompt;
  std::vector<TokenEvent> tokens;
  std::map<uint64_t, std::vector<Micros>> tokenTimes;
  std::map<uint64_t, FinishInfo> finished;
  std::vector<uint64_t> finishOrder;
};

// Runs the engine until it is idle (no arrivals in between).
inline void runToIdle(Engine& engine, EventSink& sink) {
  while (auto t = engine.nextEventTime()) engine.advanceTo(*t, sink);
}

// Submits at `now` after advancing to it, as every driver must. Requests submitted at the
// same time without an advanceTo in between share a step.
inline SubmitResult submitAt(Engine& engine, EventSink& sink, Micros now, uint64_t id,
                             std::string_view prompt, int32_t maxOutput, std::string_view lora = {},
                             std::string_view model = "m") {
  if (now > engine.now()) engine.advanceTo(now, sink);
  SimRequest r;
  r.id = id;
  r.model = model;
  r.lora = lora;
  r.prompt = prompt;
  r.maxOutputTokens = maxOutput;
  return engine.submit(r, now);
}

// `chars` characters of text distinct for each `seed` (and block-aligned so prefixes of
// different seeds never share a 64-character block).
inline std::string text(size_t chars, int seed) {
  std::string s;
  s.reserve(chars);
  for (size_t i = 0; i < chars; ++i) {
    s.push_back(static_cast<char>('a' + (i * 7 + static_cast<size_t>(seed) * 13 + i / 64) % 26));
  }
  // Make every 64-char block depend on the seed.
  for (size_t b = 0; b * 64 < chars; ++b) {
    std::string tag = std::to_string(seed) + ":";
    for (size_t k = 0; k < tag.size() && b * 64 + k < chars; ++k) s[b * 64 + k] = tag[k];
  }
  return s;
}

}  // namespace epp::sim::testing

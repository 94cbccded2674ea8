// File: tools/bench/workload/spec.h
//
// A workload as one string, shared by eppd-bench and `eppd replay`:
//
//   KIND[:KEY=VALUE,KEY=VALUE,...]
//
//   shared-prefix:groups=150,users=5,system=6000,question=1200,output=1000,rate=poisson:10,duration=60s
//   multi-turn:conversations=20,turns=6,concurrency=8,requests=200
//   random:input=100..2000,output=50..300,rate=constant:5,requests=100,seed=7
//   shared-prefix:groups=150,users=5,rate=poisson:15@50s+3@20s+10@20s+60@20s
//   random:input=200,output=100,classes=critical:0.2+sheddable:0.8,rate=poisson:30,duration=60s
//
// Parsing is strict: an unknown key, a key given twice, a key of another workload kind or a
// malformed value is an error naming the key. tools/bench/README.md documents every key.
//
//   auto spec = epp::bench::parseWorkloadSpec(text);
//   if (!spec) return fail(spec.error());
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/common/result.h"

namespace epp::bench {

enum class WorkloadKind { kSharedPrefix, kMultiTurn, kRandom };
enum class Api { kChat, kCompletions };
enum class ArrivalKind { kPoisson, kConstant, kConcurrency };

// A token count, fixed ("100") or drawn uniformly per item ("100..2000", inclusive).
struct TokenRange {
  uint32_t min = 0;
  uint32_t max = 0;
  bool operator==(const TokenRange&) const = default;
};

// One stage of an open-loop arrival process: `rate` requests per second for `duration`
// (zero: until the run ends, for a single-stage process only).
struct RateStage {
  double rate = 0;
  std::chrono::nanoseconds duration{0};
  bool operator==(const RateStage&) const = default;
};

struct ArrivalSpec {
  ArrivalKind kind = ArrivalKind::kPoisson;
  std::vector<RateStage> stages;  // open loop: one stage, or a ladder of timed stages
  uint32_t concurrency = 0;       // closed loop: requests kept in flight
  bool closedLoop() const { return kind == ArrivalKind::kConcurrency; }
  bool ladder() const { return !stages.empty() && stages.front().duration.count() > 0; }
  bool operator==(const ArrivalSpec&) const = default;
};

// A share of the traffic that names an InferenceObjective (header
// x-gateway-inference-objective), so eppd gives it that objective's priority.
struct TrafficClass {
  std::string objective;
  double share = 0;  // of all requests; the shares of a spec add up to 1
  bool operator==(const TrafficClass&) const = default;
};

struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::kSharedPrefix;
  uint64_t seed = 1;
  std::string model = "sim-model";
  // LoRA adapters: a request that uses one names it as its model (the vLLM convention).
  std::vector<std::string> loras;
  double loraShare = 1.0;  // fraction of groups / conversations / requests that use one
  Api api = Api::kChat;
  bool stream = true;
  // classes=critical:0.2+batch:0.8: each request draws its class independently (empty:
  // no objective header).
  std::vector<TrafficClass> classes;
  ArrivalSpec arrival;
  // The run ends at whichever comes first. A ladder's duration is the sum of its stages.
  std::optional<uint64_t> requests;
  std::optional<std::chrono::nanoseconds> duration;

  // shared-prefix: groups × users distinct prompts; each group's users share its system
  // prompt, each user always asks the same question.
  uint32_t groups = 8;
  uint32_t users = 4;
  // multi-turn: `conversations` open at a time, each `turns` long, then replaced.
  uint32_t conversations = 8;
  uint32_t turns = 5;
  // shared-prefix: per group; multi-turn: one system prompt for every conversation.
  uint32_t systemTokens = 1000;
  TokenRange question{100, 100};  // shared-prefix question; multi-turn user turn
  TokenRange input{500, 500};     // random: the whole prompt
  TokenRange output{100, 100};    // max_tokens (and the synthetic assistant turns)

  bool operator==(const WorkloadSpec&) const = default;
};

common::Result<WorkloadSpec> parseWorkloadSpec(std::string_view text);

// The canonical spelling with every key of the kind: parses back to an equal spec. Reports
// print it so a run can be repeated exactly.
std::string formatWorkloadSpec(const WorkloadSpec& spec);

std::string_view kindName(WorkloadKind kind);

// "60s", "1.5s", "250ms", "2m", "1h" → nanoseconds.
common::Result<std::chrono::nanoseconds> parseDuration(std::string_view text);
std::string formatDuration(std::chrono::nanoseconds duration);

}  // namespace epp::bench

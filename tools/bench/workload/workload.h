// File: tools/bench/workload/workload.h
//
// The requests of a workload, generated lazily and deterministically from its spec: the
// same spec (seed included) gives the same requests, arrival times and texts on every
// machine, so eppd-bench runs and `eppd replay` see identical traffic. No I/O, no clock.
//
//   epp::bench::Workload workload(*epp::bench::parseWorkloadSpec(text));
//   while (auto request = workload.next()) send(*request, requestBody(*request));
//
// Texts are shared, not copied: the system prompt of a group (24 KB at 6000 tokens) and a
// conversation's history are shared_ptr'd strings that every request referring to them
// points at, so a request costs a vector of pointers until its body is built.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tools/bench/workload/rng.h"
#include "tools/bench/workload/spec.h"

namespace epp::bench {

struct Message {
  std::string_view role;  // "system", "user" or "assistant"
  std::shared_ptr<const std::string> content;
};

struct Request {
  uint64_t index = 0;  // 0, 1, 2, … in generation order
  std::string id;      // "req-<index>"
  // Since the start of the run; open loop only (every request of a closed loop has 0: it
  // starts when a slot frees).
  std::chrono::nanoseconds arrival{0};
  std::string model;                // the base model
  std::optional<std::string> lora;  // when set, named as the body's model
  Api api = Api::kChat;
  // The conversation. A completions request sends the contents joined by "\n" as its prompt.
  std::vector<Message> messages;
  uint32_t inputTokens = 0;  // of all messages, at kCharsPerToken characters each
  uint32_t maxTokens = 0;    // max_tokens, with ignore_eos: the expected output length
  // shared-prefix: group and user within it; multi-turn: conversation, 0, turn (0-based);
  // random: the request index, 0, 0.
  uint32_t group = 0;
  uint32_t user = 0;
  uint32_t turn = 0;
  bool stream = true;
  // The InferenceObjective the request names (classes=), sent as
  // x-gateway-inference-objective.
  std::optional<std::string> objective;

  const std::string& servedModel() const { return lora ? *lora : model; }
};

// "/v1/chat/completions" or "/v1/completions".
std::string_view requestPath(const Request& request);
// The OpenAI JSON body: model (the LoRA when set), messages or prompt, max_tokens,
// ignore_eos, and when streaming stream_options.include_usage.
std::string requestBody(const Request& request);
// The prompt text as eppd extracts it: the message contents joined by "\n".
std::string promptText(const Request& request);

class Workload {
 public:
  explicit Workload(WorkloadSpec spec);

  const WorkloadSpec& spec() const { return spec_; }
  // The next request, or nullopt once `requests` are generated or the next arrival falls
  // past `duration`. A closed loop has no arrival times: with only a duration it never
  // ends here, and the driver stops taking requests when the time is up.
  std::optional<Request> next();

 private:
  struct Conversation {
    uint32_t id = 0;
    uint32_t turnsDone = 0;
    std::optional<std::string> lora;
    std::vector<Message> history;
  };

  // Advances the arrival process; false when the duration is over.
  bool nextArrival(std::chrono::nanoseconds& arrival);
  void fillSharedPrefix(Request& request);
  void fillMultiTurn(Request& request);
  void fillRandom(Request& request);
  uint32_t draw(const TokenRange& range, uint64_t purpose, uint64_t index) const;
  std::optional<std::string> loraFor(uint64_t unit) const;
  std::shared_ptr<const std::string> text(uint64_t purpose, uint64_t index, uint32_t tokens) const;
  void startConversation(Conversation& conversation);

  WorkloadSpec spec_;
  Rng arrivals_;
  Rng choices_;
  uint64_t generated_ = 0;
  // Open loop: the current stage and the time of the last arrival within it.
  size_t stage_ = 0;
  std::chrono::nanoseconds stageStart_{0};
  double stageArrivals_ = 0;  // arrivals so far in this stage (constant rate)
  double lastArrival_ = 0;    // seconds since the stage start (Poisson)

  std::vector<std::shared_ptr<const std::string>> systemPrompts_;  // by group
  std::unordered_map<uint64_t, std::shared_ptr<const std::string>> questions_;
  std::shared_ptr<const std::string> sharedSystem_;  // multi-turn
  std::vector<Conversation> conversations_;
  uint32_t nextConversation_ = 0;
};

}  // namespace epp::bench

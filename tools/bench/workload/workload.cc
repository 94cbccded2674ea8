#include "tools/bench/workload/workload.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "tools/bench/workload/text.h"

namespace epp::bench {
namespace {

using std::chrono::nanoseconds;

// Independent random streams per purpose: changing the rate must not change the texts,
// and changing the user count must not change the arrival times.
enum Purpose : uint64_t {
  kArrivals = 1,
  kChoices,
  kQuestionLength,
  kOutputLength,
  kInputLength,
  kLoraShare,
  kSystemText,
  kQuestionText,
  kTurnText,
  kAssistantText,
  kRandomText,
  kClass,
};

constexpr std::string_view kSystem = "system";
constexpr std::string_view kUser = "user";
constexpr std::string_view kAssistant = "assistant";

nanoseconds seconds(double s) { return nanoseconds(std::llround(s * 1e9)); }

}  // namespace

std::string_view requestPath(const Request& request) {
  return request.api == Api::kChat ? "/v1/chat/completions" : "/v1/completions";
}

std::string promptText(const Request& request) {
  std::string out;
  size_t size = 0;
  for (const Message& m : request.messages) size += m.content->size() + 1;
  out.reserve(size);
  for (const Message& m : request.messages) {
    if (!out.empty()) out += '\n';
    out += *m.content;
  }
  return out;
}

std::string requestBody(const Request& request) {
  nlohmann::json body;
  body["model"] = request.servedModel();
  if (request.api == Api::kChat) {
    nlohmann::json messages = nlohmann::json::array();
    for (const Message& m : request.messages) {
      messages.push_back({{"role", m.role}, {"content", *m.content}});
    }
    body["messages"] = std::move(messages);
  } else {
    body["prompt"] = promptText(request);
  }
  body["max_tokens"] = request.maxTokens;
  body["ignore_eos"] = true;  // vLLM's extension: the output is exactly max_tokens long
  body["stream"] = request.stream;
  if (request.stream) body["stream_options"] = {{"include_usage", true}};
  return body.dump();
}

Workload::Workload(WorkloadSpec spec)
    : spec_(std::move(spec)),
      arrivals_(streamSeed(spec_.seed, kArrivals)),
      choices_(streamSeed(spec_.seed, kChoices)) {
  if (spec_.kind == WorkloadKind::kSharedPrefix) systemPrompts_.resize(spec_.groups);
  if (spec_.kind == WorkloadKind::kMultiTurn) {
    if (spec_.systemTokens > 0) sharedSystem_ = text(kSystemText, 0, spec_.systemTokens);
    conversations_.resize(spec_.conversations);
    for (Conversation& c : conversations_) startConversation(c);
  }
}

std::optional<Request> Workload::next() {
  if (spec_.requests && generated_ >= *spec_.requests) return std::nullopt;
  Request request;
  if (!spec_.arrival.closedLoop() && !nextArrival(request.arrival)) return std::nullopt;
  request.index = generated_++;
  request.id = "req-" + std::to_string(request.index);
  request.model = spec_.model;
  request.api = spec_.api;
  request.stream = spec_.stream;
  request.maxTokens = draw(spec_.output, kOutputLength, request.index);
  switch (spec_.kind) {
    case WorkloadKind::kSharedPrefix:
      fillSharedPrefix(request);
      break;
    case WorkloadKind::kMultiTurn:
      fillMultiTurn(request);
      break;
    case WorkloadKind::kRandom:
      fillRandom(request);
      break;
  }
  for (const Message& m : request.messages) {
    request.inputTokens += static_cast<uint32_t>(m.content->size() / kCharsPerToken);
  }
  if (!spec_.classes.empty()) {
    double u = Rng(streamSeed(spec_.seed, kClass, request.index)).uniform();
    request.objective = spec_.classes.back().objective;  // u close to 1 after rounding
    for (const TrafficClass& c : spec_.classes) {
      if (u < c.share) {
        request.objective = c.objective;
        break;
      }
      u -= c.share;
    }
  }
  return request;
}

bool Workload::nextArrival(nanoseconds& arrival) {
  const std::vector<RateStage>& stages = spec_.arrival.stages;
  while (stage_ < stages.size()) {
    const RateStage& stage = stages[stage_];
    double offset = 0;
    if (spec_.arrival.kind == ArrivalKind::kConstant) {
      offset = stageArrivals_ / stage.rate;
    } else {
      offset = lastArrival_ + arrivals_.exponential(stage.rate);
    }
    if (stage.duration.count() > 0 && seconds(offset) >= stage.duration) {
      // A Poisson process is memoryless: restarting at the boundary with the next rate is
      // exact, not an approximation.
      stageStart_ += stage.duration;
      ++stage_;
      stageArrivals_ = 0;
      lastArrival_ = 0;
      continue;
    }
    stageArrivals_ += 1;
    lastArrival_ = offset;
    arrival = stageStart_ + seconds(offset);
    if (spec_.duration && arrival >= *spec_.duration) {
      stage_ = stages.size();
      return false;
    }
    return true;
  }
  return false;
}

uint32_t Workload::draw(const TokenRange& range, uint64_t purpose, uint64_t index) const {
  if (range.min == range.max) return range.min;
  Rng rng(streamSeed(spec_.seed, purpose, index));
  return static_cast<uint32_t>(rng.between(range.min, range.max));
}

std::optional<std::string> Workload::loraFor(uint64_t unit) const {
  if (spec_.loras.empty()) return std::nullopt;
  Rng rng(streamSeed(spec_.seed, kLoraShare, unit));
  if (rng.uniform() >= spec_.loraShare) return std::nullopt;
  return spec_.loras[unit % spec_.loras.size()];
}

std::shared_ptr<const std::string> Workload::text(uint64_t purpose, uint64_t index,
                                                  uint32_t tokens) const {
  return std::make_shared<const std::string>(
      syntheticText(streamSeed(spec_.seed, purpose, index), tokens));
}

void Workload::fillSharedPrefix(Request& request) {
  const uint64_t prompt = choices_.below(static_cast<uint64_t>(spec_.groups) * spec_.users);
  request.group = static_cast<uint32_t>(prompt / spec_.users);
  request.user = static_cast<uint32_t>(prompt % spec_.users);
  request.lora = loraFor(request.group);
  auto& system = systemPrompts_[request.group];
  if (!system && spec_.systemTokens > 0) {
    system = text(kSystemText, request.group, spec_.systemTokens);
  }
  auto& question = questions_[prompt];
  if (!question) {
    question = text(kQuestionText, prompt, draw(spec_.question, kQuestionLength, prompt));
  }
  if (system) request.messages.push_back({kSystem, system});
  request.messages.push_back({kUser, question});
}

void Workload::startConversation(Conversation& conversation) {
  conversation.id = nextConversation_++;
  conversation.turnsDone = 0;
  conversation.lora = loraFor(conversation.id);
  conversation.history.clear();
  if (sharedSystem_) conversation.history.push_back({kSystem, sharedSystem_});
}

void Workload::fillMultiTurn(Request& request) {
  Conversation& c = conversations_[choices_.below(conversations_.size())];
  if (c.turnsDone == spec_.turns) startConversation(c);
  // Turn texts are keyed by (conversation, turn): unique across the whole run.
  const uint64_t key = (static_cast<uint64_t>(c.id) << 32) | c.turnsDone;
  c.history.push_back({kUser, text(kTurnText, key, draw(spec_.question, kQuestionLength, key))});
  request.group = c.id;
  request.turn = c.turnsDone;
  request.lora = c.lora;
  request.messages = c.history;
  // The answer the model gives (ignore_eos: exactly max_tokens), as the next turn's context.
  c.history.push_back({kAssistant, text(kAssistantText, key, request.maxTokens)});
  ++c.turnsDone;
}

void Workload::fillRandom(Request& request) {
  request.group = static_cast<uint32_t>(request.index);
  request.lora = loraFor(request.index);
  request.messages.push_back(
      {kUser, text(kRandomText, request.index, draw(spec_.input, kInputLength, request.index))});
}

}  // namespace epp::bench

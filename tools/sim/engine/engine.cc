#include "tools/sim/engine/engine.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "plugins/common/chars_tokenizer.h"
#include "tools/sim/engine/prompt_blocks.h"

namespace epp::sim {
namespace {

int32_t blocksFor(int32_t tokens, int32_t blockSize) {
  return (tokens + blockSize - 1) / blockSize;
}

double seconds(Micros us) { return static_cast<double>(us) / 1e6; }

}  // namespace

const char* rejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNone:
      return "none";
    case RejectReason::kInvalid:
      return "invalid";
    case RejectReason::kTooLong:
      return "too_long";
    case RejectReason::kExceedsKvCapacity:
      return "exceeds_kv_capacity";
    case RejectReason::kQueueFull:
      return "queue_full";
    case RejectReason::kLoraDisabled:
      return "lora_disabled";
  }
  return "unknown";
}

Engine::Engine(EngineOptions options)
    : options_(std::move(options)),
      kv_(options_.numBlocks),
      loras_(options_.maxLoras),
      jitter_(options_.jitter, options_.seed) {
  if (std::string problem = options_.validate(); !problem.empty()) {
    throw std::invalid_argument("engine options: " + problem);
  }
}

SubmitResult Engine::reject(RejectReason reason, std::string message) {
  ++stats_.requestsRejected;
  SubmitResult r;
  r.reason = reason;
  r.message = std::move(message);
  return r;
}

SubmitResult Engine::submit(const SimRequest& request, Micros now) {
  if (inFlight_ && now >= stepEnd_) {
    throw std::logic_error("Engine::submit: call advanceTo(now) before submit(now)");
  }
  clock_ = std::max(clock_, now);
  ++stats_.requestsSubmitted;
  const int32_t promptTokens = estimateTokens(request.prompt, options_.charsPerToken);
  if (request.maxOutputTokens < 1) {
    return reject(RejectReason::kInvalid, "max output tokens must be at least 1");
  }
  if (byId_.contains(request.id)) {
    return reject(RejectReason::kInvalid, "request id " + std::to_string(request.id) + " is live");
  }
  if (!request.lora.empty() && options_.maxLoras == 0) {
    return reject(RejectReason::kLoraDisabled, "LoRA adapters are not enabled on this server");
  }
  const int64_t total = int64_t{promptTokens} + request.maxOutputTokens;
  if (total > options_.maxModelLen) {
    return reject(RejectReason::kTooLong,
                  "This model's maximum context length is " + std::to_string(options_.maxModelLen) +
                      " tokens. However, you requested " + std::to_string(total) + " tokens (" +
                      std::to_string(promptTokens) + " in the messages, " +
                      std::to_string(request.maxOutputTokens) +
                      " in the completion). Please reduce the length of the messages or "
                      "completion.");
  }
  if (blocksFor(static_cast<int32_t>(total), options_.blockSize) > options_.numBlocks) {
    return reject(RejectReason::kExceedsKvCapacity,
                  "request needs " + std::to_string(total) +
                      " tokens of KV cache, more than the server's " +
                      std::to_string(int64_t{options_.numBlocks} * options_.blockSize));
  }
  if (options_.maxWaiting > 0 && static_cast<int32_t>(waiting_.size()) >= options_.maxWaiting) {
    return reject(RejectReason::kQueueFull,
                  "the waiting queue is full (" + std::to_string(options_.maxWaiting) + ")");
  }

  int32_t slot;
  if (freeSlots_.empty()) {
    slot = static_cast<int32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
  }
  Request& r = slots_[static_cast<size_t>(slot)];
  r.id = request.id;
  r.live = true;
  r.running = false;
  r.lora.assign(request.lora);
  hashPromptBlocks(request.lora.empty() ? request.model : request.lora, request.prompt,
                   options_.blockSize, options_.charsPerToken, r.hashes);
  r.tokenIds.clear();
  if (kvListener_ != nullptr) {
    plugins::charsTokenize(request.prompt, options_.charsPerToken, r.tokenIds);
  }
  r.blocks.clear();
  r.promptTokens = promptTokens;
  r.maxOutput = request.maxOutputTokens;
  r.numOutput = r.numComputed = r.registered = r.cached = r.preemptions = 0;
  r.arrival = now;
  r.firstScheduled = r.firstToken = r.lastToken = -1;
  byId_.emplace(request.id, slot);
  waiting_.push_back(slot);

  SubmitResult ok;
  ok.promptTokens = promptTokens;
  return ok;
}

bool Engine::cancel(uint64_t id) {
  auto it = byId_.find(id);
  if (it == byId_.end()) return false;
  const int32_t slot = it->second;
  Request& r = slots_[static_cast<size_t>(slot)];
  if (r.running) {
    releaseBlocks(r);
    if (!r.lora.empty()) loras_.release(r.lora);
    running_.erase(std::find(running_.begin(), running_.end(), slot));
    r.running = false;
  } else {
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), slot));
  }
  ++stats_.requestsCancelled;
  freeSlot(slot);
  return true;
}

void Engine::freeSlot(int32_t slot) {
  Request& r = slots_[static_cast<size_t>(slot)];
  byId_.erase(r.id);
  r.live = false;
  ++r.generation;  // entries of the step in flight that name this slot go stale
  freeSlots_.push_back(slot);
}

void Engine::advanceTo(Micros until, EventSink& sink) {
  while (true) {
    if (!inFlight_) {
      if (!hasWork() || clock_ > until) break;
      planStep();
    }
    if (stepEnd_ > until) break;
    completeStep(sink);
  }
  clock_ = std::max(clock_, until);
}

std::optional<Micros> Engine::nextEventTime() const {
  if (inFlight_) return stepEnd_;
  if (hasWork()) return clock_;
  return std::nullopt;
}

bool Engine::ensureBlocks(Request& r, int32_t tokens) {
  const int32_t needed =
      blocksFor(tokens, options_.blockSize) - static_cast<int32_t>(r.blocks.size());
  if (needed <= 0) return true;
  if (kv_.freeBlocks() < needed) return false;
  for (int32_t i = 0; i < needed; ++i) r.blocks.push_back(kv_.allocate());
  return true;
}

void Engine::registerFullBlocks(Request& r, int32_t computedTokens) {
  const int32_t full =
      std::min<int32_t>(std::min(computedTokens, r.promptTokens) / options_.blockSize,
                        static_cast<int32_t>(r.hashes.size()));
  const auto bs = static_cast<size_t>(options_.blockSize);
  for (int32_t k = r.registered; k < full; ++k) {
    const auto i = static_cast<size_t>(k);
    bool fresh = kv_.registerHash(r.blocks[i], r.hashes[i]);
    if (fresh && kvListener_ != nullptr && r.tokenIds.size() >= (i + 1) * bs) {
      std::optional<uint64_t> parent;
      if (i > 0) parent = r.hashes[i - 1];
      kvListener_->blockStored(r.hashes[i], parent,
                               std::span<const uint32_t>(r.tokenIds).subspan(i * bs, bs),
                               options_.blockSize, r.lora);
    }
  }
  r.registered = std::max(r.registered, full);
}

void Engine::releaseBlocks(Request& r) {
  // Last block first: a prefix's tail is evicted before its head.
  for (auto it = r.blocks.rbegin(); it != r.blocks.rend(); ++it) kv_.release(*it);
  r.blocks.clear();
  r.registered = 0;
}

void Engine::preemptLast() {
  const int32_t slot = running_.back();
  running_.pop_back();
  Request& r = slots_[static_cast<size_t>(slot)];
  releaseBlocks(r);
  if (!r.lora.empty()) loras_.release(r.lora);
  r.running = false;
  r.numComputed = 0;
  ++r.preemptions;
  ++stats_.preemptions;
  waiting_.push_front(slot);
}

void Engine::planStep() {
  step_.clear();
  int32_t budget = options_.maxNumBatchedTokens;
  int32_t prefillTokens = 0;
  int32_t loraLoads = 0;
  bool preempted = false;

  for (size_t i = 0; i < running_.size() && budget > 0;) {
    const int32_t slot = running_[i];
    Request& r = slots_[static_cast<size_t>(slot)];
    const int32_t need = r.seqLen() - r.numComputed;
    const int32_t n = std::min(need, budget);
    bool selfPreempted = false;
    while (!ensureBlocks(r, r.numComputed + n)) {
      const bool victimIsSelf = running_.back() == slot;
      preemptLast();
      preempted = true;
      if (victimIsSelf) {
        selfPreempted = true;
        break;
      }
    }
    if (selfPreempted) break;  // it was the last running request
    registerFullBlocks(r, r.numComputed + n);
    step_.push_back({slot, r.generation, n});
    budget -= n;
    const bool decoding = r.numOutput > 0 && need == 1;
    if (!decoding) prefillTokens += n;
    ++i;
  }
  // After a preemption memory is short: like vLLM, admit nobody new this step.
  if (!preempted || running_.empty()) admitWaiting(budget, prefillTokens, loraLoads);
  if (step_.empty()) throw std::logic_error("Engine: a step scheduled nothing");

  const int32_t seqs = static_cast<int32_t>(step_.size());
  double decodeCost = static_cast<double>(options_.decodeBaseUs) + options_.decodePerSeqUs * seqs +
                      static_cast<double>(options_.loraLoadUs) * loraLoads;
  double prefillCost = prefillTokens > 0 ? static_cast<double>(options_.prefillOverheadUs) +
                                               options_.prefillPerTokenUs * prefillTokens
                                         : 0.0;
  const double factor = jitter_.factor();
  decodeCost *= factor;
  prefillCost *= factor;
  const Micros cost = std::max<Micros>(1, std::llround(decodeCost + prefillCost));

  stepEnd_ = clock_ + cost;
  inFlight_ = true;
  ++stats_.steps;
  stats_.scheduledSeqs += static_cast<uint64_t>(seqs);
  stats_.maxStepTokens = std::max(stats_.maxStepTokens, options_.maxNumBatchedTokens - budget);
  stats_.prefillTokens += static_cast<uint64_t>(prefillTokens);
  stats_.loraLoads += static_cast<uint64_t>(loraLoads);
  const Micros prefillPart = std::llround(prefillCost);
  stats_.prefillBusyUs += std::min(prefillPart, cost);
  stats_.decodeBusyUs += cost - std::min(prefillPart, cost);
}

void Engine::admitWaiting(int32_t& budget, int32_t& prefillTokens, int32_t& loraLoads) {
  const int32_t bs = options_.blockSize;
  skipped_.clear();
  while (!waiting_.empty() && static_cast<int32_t>(running_.size()) < options_.maxNumSeqs &&
         budget > 0) {
    const int32_t slot = waiting_.front();
    Request& r = slots_[static_cast<size_t>(slot)];
    if (!r.lora.empty() && !loras_.admissible(r.lora)) {
      // Every adapter slot is busy: this one waits, later ones may still run.
      waiting_.pop_front();
      skipped_.push_back(slot);
      continue;
    }
    // Never the whole prompt from cache: its last token is computed to produce output.
    kv_.matchPrefix(r.hashes, (r.promptTokens - 1) / bs, matched_);
    const int32_t cached = static_cast<int32_t>(matched_.size()) * bs;
    const int32_t n = std::min(r.seqLen() - cached, budget);
    const int32_t newBlocks = blocksFor(cached + n, bs) - static_cast<int32_t>(matched_.size());
    if (!kv_.canAllocate(matched_, newBlocks)) break;  // FCFS: everyone behind waits too

    for (BlockId b : matched_) kv_.acquire(b);
    r.blocks.assign(matched_.begin(), matched_.end());
    for (int32_t i = 0; i < newBlocks; ++i) r.blocks.push_back(kv_.allocate());
    r.registered = static_cast<int32_t>(matched_.size());
    registerFullBlocks(r, cached + n);
    if (!r.lora.empty() && loras_.acquire(r.lora, ++loraTick_)) ++loraLoads;
    r.numComputed = cached;
    if (r.firstScheduled < 0) {
      r.firstScheduled = clock_;
      r.cached = cached;
      stats_.promptTokens += static_cast<uint64_t>(r.promptTokens);
      stats_.queueTime.observe(seconds(clock_ - r.arrival));
    }
    stats_.prefixQueryTokens += static_cast<uint64_t>(r.promptTokens);
    stats_.prefixHitTokens += static_cast<uint64_t>(cached);

    waiting_.pop_front();
    running_.push_back(slot);
    r.running = true;
    step_.push_back({slot, r.generation, n});
    budget -= n;
    prefillTokens += n;
  }
  waiting_.insert(waiting_.begin(), skipped_.begin(), skipped_.end());
}

void Engine::completeStep(EventSink& sink) {
  clock_ = stepEnd_;
  inFlight_ = false;
  const Micros t = clock_;
  bool anyFinished = false;
  for (const Scheduled& e : step_) {
    Request& r = slots_[static_cast<size_t>(e.slot)];
    if (!r.live || r.generation != e.generation || !r.running) continue;  // cancelled
    r.numComputed += e.tokens;
    if (r.numComputed < r.seqLen()) continue;  // a prompt chunk; more to prefill
    ++r.numOutput;
    ++stats_.generationTokens;
    if (r.firstToken < 0) {
      r.firstToken = t;
      stats_.ttft.observe(seconds(t - r.arrival));
      stats_.prefillTime.observe(seconds(t - r.firstScheduled));
      sink.onFirstToken(r.id, t, r.promptTokens, r.cached);
    } else {
      stats_.itl.observe(seconds(t - r.lastToken));
    }
    r.lastToken = t;
    sink.onTokens(r.id, t, 1, r.numOutput);
    if (r.numOutput >= r.maxOutput) {
      finish(e.slot, t, sink);
      anyFinished = true;
    }
  }
  if (anyFinished) {
    std::erase_if(running_, [this](int32_t s) { return !slots_[static_cast<size_t>(s)].running; });
  }
}

void Engine::finish(int32_t slot, Micros at, EventSink& sink) {
  Request& r = slots_[static_cast<size_t>(slot)];
  releaseBlocks(r);
  if (!r.lora.empty()) loras_.release(r.lora);
  r.running = false;
  FinishInfo info;
  info.promptTokens = r.promptTokens;
  info.cachedPromptTokens = r.cached;
  info.outputTokens = r.numOutput;
  info.preemptions = r.preemptions;
  info.arrival = r.arrival;
  info.firstScheduled = r.firstScheduled;
  info.firstToken = r.firstToken;
  info.finished = at;
  ++stats_.requestsFinished;
  stats_.e2e.observe(seconds(info.e2e()));
  stats_.decodeTime.observe(seconds(at - r.firstToken));
  if (r.numOutput > 1) stats_.tpot.observe(seconds(at - r.firstToken) / (r.numOutput - 1));
  const uint64_t id = r.id;
  freeSlot(slot);
  sink.onFinished(id, at, info);
}

EngineMetrics Engine::metrics() const {
  EngineMetrics m = stats_;
  m.now = clock_;
  m.waiting = static_cast<int32_t>(waiting_.size());
  m.running = static_cast<int32_t>(running_.size());
  m.runningPrefill = 0;
  for (int32_t s : running_) {
    const Request& r = slots_[static_cast<size_t>(s)];
    if (r.numOutput == 0 || r.numComputed + 1 < r.seqLen()) ++m.runningPrefill;
  }
  m.maxNumSeqs = options_.maxNumSeqs;
  m.maxNumBatchedTokens = options_.maxNumBatchedTokens;
  m.blockSize = options_.blockSize;
  m.numBlocks = kv_.numBlocks();
  m.usedBlocks = kv_.usedBlocks();
  m.cachedBlocks = kv_.cachedBlocks();
  m.kvUsage = kv_.usage();
  m.maxLoras = options_.maxLoras;
  m.runningLoras = loras_.running();
  m.waitingDeferred = 0;
  m.waitingLoras.clear();
  for (int32_t s : waiting_) {
    const Request& r = slots_[static_cast<size_t>(s)];
    if (r.lora.empty()) continue;
    if (!loras_.admissible(r.lora)) ++m.waitingDeferred;
    if (std::find(m.waitingLoras.begin(), m.waitingLoras.end(), r.lora) == m.waitingLoras.end()) {
      m.waitingLoras.push_back(r.lora);
    }
  }
  std::sort(m.waitingLoras.begin(), m.waitingLoras.end());
  return m;
}

void Engine::setKvEventListener(KvEventListener* listener) {
  kvListener_ = listener;
  if (listener == nullptr) {
    kv_.setForgetListener(nullptr);
  } else {
    kv_.setForgetListener([listener](uint64_t hash) { listener->blockRemoved(hash); });
  }
}

void Engine::resetCaches() {
  kv_.dropUnreferencedCache();
  loras_.unloadIdle();
  stats_ = EngineMetrics{};
}

}  // namespace epp::sim

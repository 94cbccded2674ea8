#include "tools/replay/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_map>

#include "host/datalayer/endpoint_snapshot.h"
#include "host/extproc/request_pipeline.h"
#include "host/runtime/data_events.h"
#include "host/runtime/decision_log.h"
#include "host/runtime/pipeline.h"
#include "tools/bench/workload/rng.h"
#include "tools/bench/workload/workload.h"
#include "tools/replay/simulated_fleet.h"
#include "tools/replay/virtual_clock.h"

namespace epp::replay {
namespace {

using Micros = sim::Micros;

// Virtual time starts at 1 s, not 0: plugins may read a zero timestamp as "never".
constexpr Micros kStartUs = 1'000'000;
constexpr Micros kNever = std::numeric_limits<Micros>::max();

int64_t toNs(Micros us) { return us * 1000; }
double seconds(Micros us) { return static_cast<double>(us) / 1e6; }

int statusOf(sim::RejectReason reason) {
  switch (reason) {
    case sim::RejectReason::kQueueFull:
      return 429;
    case sim::RejectReason::kTooLong:
    case sim::RejectReason::kInvalid:
    case sim::RejectReason::kLoraDisabled:
      return 400;
    default:
      return 500;
  }
}

// One server's KV-cache events, handed to the plugins that subscribed to them at the
// virtual time they happen (no transport delay): the in-process stand-in for eppd's
// ZeroMQ subscriber, so precise prefix-cache scoring can be replayed.
class KvFeed final : public sim::KvEventListener {
 public:
  KvFeed(uint64_t endpointId, std::string endpointName, std::string model)
      : endpointId_(endpointId), name_(std::move(endpointName)), model_(std::move(model)) {}

  void blockStored(uint64_t hash, std::optional<uint64_t> parent,
                   std::span<const uint32_t> tokenIds, int32_t blockSize,
                   std::string_view lora) override {
    datalayer::KvEvent& e = pending_.events.emplace_back();
    e.type = EPP_KV_BLOCK_STORED;
    e.blockHashes = {hash};
    e.hasParent = parent.has_value();
    e.parentHash = parent.value_or(0);
    e.tokenIds.assign(tokenIds.begin(), tokenIds.end());
    e.blockSize = blockSize;
    e.loraId = lora.empty() ? -1 : 1;
  }
  void blockRemoved(uint64_t hash) override {
    datalayer::KvEvent& e = pending_.events.emplace_back();
    e.type = EPP_KV_BLOCK_REMOVED;
    e.blockHashes = {hash};
  }
  void flush(const std::vector<runtime::InstancePtr>& subscribers, Micros now) {
    if (pending_.events.empty()) return;
    pending_.timestamp = seconds(now);
    runtime::deliverKvBatch(subscribers,
                            datalayer::KvEventDelivery{endpointId_, name_, model_, sequence_,
                                                       sequence_ == 0, pending_});
    ++sequence_;
    pending_.events.clear();
  }

 private:
  uint64_t endpointId_;
  std::string name_;
  std::string model_;
  uint64_t sequence_ = 0;
  datalayer::KvEventBatch pending_;
};

// ReplayOptions::recordProfiles keeps this many decisions (the newest).
constexpr size_t kMaxRecordedDecisions = 1'000'000;

// Plays one workload through one config. The replayer is the sink of every engine:
// request ids are the workload's indexes, unique across the fleet.
class Replayer final : public sim::EventSink {
 public:
  // One config snapshot per replica, each loaded on its own (its own plugin instances).
  Replayer(VirtualClock& clock, const std::vector<runtime::ConfigSnapshotPtr>& replicas,
           const ReplayOptions& options)
      : options_(options),
        clock_(clock),
        fleet_(options.servers, options.engine),
        decisions_(options.recordProfiles ? kMaxRecordedDecisions : 0),
        workload_(options.workload) {
    for (const runtime::ConfigSnapshotPtr& config : replicas) {
      pipelines_.push_back(std::make_unique<runtime::Pipeline>(
          [config] { return config; }, store_, decisions_,
          [this] { return bench::mix64(options_.seed ^ ++requestsSeeded_); },
          runtime::Pipeline::FlowDrive::kManual));
      for (auto& [instance, subscription] : runtime::kvSubscribers(*config)) {
        kvSubscribers_.push_back(instance);
      }
    }
    store_.replace(fleet_.endpoints());
    if (!kvSubscribers_.empty()) {
      datalayer::EndpointSnapshotPtr pool = store_.current();
      for (size_t i = 0; i < fleet_.size(); ++i) {
        int at = pool->find(fleet_.hostPort(i));
        kvFeeds_.push_back(std::make_unique<KvFeed>(pool->view(static_cast<size_t>(at))->id,
                                                    fleet_.hostPort(i), workload_.spec().model));
        fleet_.engine(i).setKvEventListener(kvFeeds_.back().get());
      }
    }
  }

  bench::Run run() {
    const bench::WorkloadSpec& spec = workload_.spec();
    const bool closed = spec.arrival.closedLoop();
    const Micros endUs = closed && spec.duration
                             ? kStartUs + spec.duration->count() / 1000
                             : kNever;  // open loops: the workload itself stops at its end
    std::optional<bench::Request> next = workload_.next();
    Micros nextScrape = now_;
    for (;;) {
      while (closed && next && inFlight_ < spec.arrival.concurrency && now_ < endUs) {
        arrive(*next);
        next = workload_.next();
      }
      pumpFlowControl();
      Micros t = kNever;
      if (!closed && next) t = kStartUs + next->arrival.count() / 1000;
      for (size_t i = 0; i < fleet_.size(); ++i) {
        if (auto e = fleet_.engine(i).nextEventTime()) t = std::min(t, *e);
      }
      if (t == kNever && flowDue_ != kNever) {
        // Only flow control has work: requests held while nothing runs. A detector that
        // stays saturated on an idle fleet would hold them forever; give up after a
        // virtual minute (each is answered 503).
        if (stuckSince_ == kNever) stuckSince_ = now_;
        if (now_ - stuckSince_ > 60'000'000) {
          for (auto& p : pipelines_) p->flowControl().shutdown();
          flowDue_ = kNever;
          continue;
        }
      } else {
        stuckSince_ = kNever;
      }
      t = std::min(t, flowDue_);
      if (t == kNever) break;  // no arrival left, every server idle, nothing queued
      if (nextScrape <= t) {
        setNow(nextScrape);
        fleet_.scrapeInto(store_, toNs(now_));
        nextScrape += options_.scrapeIntervalUs;
        for (auto& p : pipelines_) p->flowControl().wake();  // the pool may have room again
        pumpFlowControl();
        continue;
      }
      setNow(t);
      for (size_t i = 0; i < fleet_.size(); ++i) {
        fleet_.engine(i).advanceTo(now_, *this);
        if (!kvFeeds_.empty()) kvFeeds_[i]->flush(kvSubscribers_, now_);
      }
      while (!closed && next && kStartUs + next->arrival.count() / 1000 <= now_) {
        arrive(*next);
        next = workload_.next();
      }
      pumpFlowControl();
    }
    run_.name = "replay";
    run_.mode = fmt::format("replay, {} servers", fleet_.size());
    run_.wallSeconds = seconds(lastEnd_ - kStartUs);
    run_.prefix = bench::PrefixCounters{fleet_.prefixHitTokens(), fleet_.prefixQueryTokens()};
    if (decisions_.enabled()) {
      std::unordered_map<std::string, std::string> profiles;
      for (auto& d : decisions_.last(SIZE_MAX)) profiles[d.requestId] = std::move(d.primaryProfile);
      for (auto& r : run_.records) {
        if (auto it = profiles.find(r.id); it != profiles.end()) r.profile = it->second;
      }
    }
    std::sort(run_.records.begin(), run_.records.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    return std::move(run_);
  }

  void onFirstToken(uint64_t id, Micros at, int32_t, int32_t) override {
    auto it = routed_.find(id);
    if (it != routed_.end()) it->second.record.ttft = seconds(at - it->second.startUs);
  }

  void onFinished(uint64_t id, Micros at, const sim::FinishInfo& info) override {
    auto it = routed_.find(id);
    if (it == routed_.end()) return;
    setNow(at);
    Routed& r = it->second;
    r.record.status = 200;
    r.record.inputTokens = static_cast<uint32_t>(info.promptTokens);
    r.record.outputTokens = static_cast<uint32_t>(info.outputTokens);
    r.record.cachedTokens = static_cast<uint32_t>(info.cachedPromptTokens);
    if (r.observer) {
      respond(*r.observer, 200,
              fmt::format(R"({{"usage":{{"prompt_tokens":{},"completion_tokens":{},)"
                          R"("total_tokens":{},"prompt_tokens_details":{{"cached_tokens":{}}}}}}})",
                          info.promptTokens, info.outputTokens,
                          info.promptTokens + info.outputTokens, info.cachedPromptTokens));
    }
    bench::RequestRecord record = std::move(r.record);
    routed_.erase(it);
    end(std::move(record));
  }

 private:
  struct Routed {
    bench::RequestRecord record;
    Micros startUs = 0;
    std::unique_ptr<extproc::ResponseObserver> observer;
  };

  // Flow control runs on virtual time: what is due now, and when it is due next.
  void pumpFlowControl() {
    int64_t due = INT64_MAX;
    for (auto& p : pipelines_) due = std::min(due, p->flowControl().pump());
    flowDue_ = due == INT64_MAX ? kNever : std::max(now_ + 1, (due + 999) / 1000);
  }

  void setNow(Micros us) {
    now_ = us;
    clock_.set(toNs(us));
  }

  // The response path as the gateway would feed it: headers, one body, completion.
  static void respond(extproc::ResponseObserver& observer, int status, std::string body) {
    extproc::HeaderList set;
    observer.onResponseHeaders(
        {{":status", std::to_string(status)}, {"content-type", "application/json"}}, set);
    observer.onResponseBody(body, true);
    observer.onComplete(true);
  }

  void arrive(const bench::Request& request) {
    ++inFlight_;
    auto input = std::make_shared<extproc::RequestInput>();
    input->requestId = request.id;
    input->headers = {{":method", "POST"},
                      {":path", std::string(bench::requestPath(request))},
                      {":authority", "replay"},
                      {"content-type", "application/json"},
                      {"x-request-id", request.id}};
    if (request.objective) {
      input->headers.emplace_back("x-gateway-inference-objective", *request.objective);
    }
    input->body = bench::requestBody(request);
    input->receivedNs = toNs(now_);
    Micros start = now_;
    runtime::Pipeline& replica = *pipelines_[request.index % pipelines_.size()];
    replica.route(input, [this, request, start](extproc::RoutingDecision d) {
      dispatch(request, start, std::move(d));
    });
  }

  void dispatch(const bench::Request& request, Micros start, extproc::RoutingDecision d) {
    bench::RequestRecord record;
    record.index = request.index;
    record.objective = request.objective.value_or("");
    record.id = request.id;
    record.start = seconds(start - kStartUs);
    record.inputTokens = request.inputTokens;
    if (d.httpStatus != 0) {
      record.status = d.httpStatus;
      record.error = std::to_string(d.httpStatus);
      record.e2e = seconds(now_ - start);
      return end(std::move(record));
    }
    std::string_view primary = std::string_view(d.destination).substr(0, d.destination.find(','));
    int server = fleet_.find(primary);
    if (server < 0) {
      record.error = "unknown-endpoint";
      if (d.observer) d.observer->onComplete(false);
      return end(std::move(record));
    }
    record.endpoint = std::string(primary);
    std::string prompt = bench::promptText(request);
    sim::SimRequest sr;
    sr.id = request.index;
    sr.model = request.model;
    sr.lora = request.lora ? std::string_view(*request.lora) : std::string_view();
    sr.prompt = prompt;
    sr.maxOutputTokens = static_cast<int32_t>(std::max<uint32_t>(request.maxTokens, 1));
    sim::SubmitResult submitted = fleet_.engine(static_cast<size_t>(server)).submit(sr, now_);
    if (!submitted.accepted()) {
      record.status = statusOf(submitted.reason);
      record.error = std::to_string(record.status);
      if (d.observer) respond(*d.observer, record.status, submitted.message);
      return end(std::move(record));
    }
    routed_.emplace(request.index, Routed{std::move(record), start, std::move(d.observer)});
  }

  void end(bench::RequestRecord record) {
    Micros start = kStartUs + static_cast<Micros>(record.start * 1e6 + 0.5);
    record.e2e = seconds(now_ - start);
    lastEnd_ = std::max(lastEnd_, now_);
    --inFlight_;
    run_.records.push_back(std::move(record));
  }

  const ReplayOptions& options_;
  VirtualClock& clock_;
  Micros now_ = kStartUs;
  Micros lastEnd_ = kStartUs;
  SimulatedFleet fleet_;
  datalayer::EndpointStore store_;
  runtime::DecisionLog decisions_;
  uint64_t requestsSeeded_ = 0;
  std::vector<std::unique_ptr<runtime::Pipeline>> pipelines_;  // one per eppd replica
  bench::Workload workload_;
  std::unordered_map<uint64_t, Routed> routed_;
  std::vector<runtime::InstancePtr> kvSubscribers_;
  std::vector<std::unique_ptr<KvFeed>> kvFeeds_;  // one per server when plugins want events
  uint32_t inFlight_ = 0;
  Micros flowDue_ = kNever;
  Micros stuckSince_ = kNever;
  bench::Run run_;
};

}  // namespace

common::Result<bench::Run> replayConfig(const runtime::LoadOptions& load,
                                        const ReplayOptions& options) {
  if (options.servers < 1) return common::Error{"--servers must be at least 1"};
  if (std::string problem = options.engine.validate(); !problem.empty()) {
    return common::Error{"engine options: " + problem};
  }
  // Virtual time from the start: plugins may note the time they were created.
  VirtualClock clock(toNs(kStartUs));
  if (options.replicas < 1) return common::Error{"--replicas must be at least 1"};
  std::vector<runtime::LoadedConfig> loaded;  // keeps registries (and libraries) alive
  std::vector<runtime::ConfigSnapshotPtr> snapshots;
  for (int i = 0; i < options.replicas; ++i) {
    auto one = runtime::loadConfiguration(load, 1);
    if (!one) return common::Error{one.error()};
    snapshots.push_back(one->snapshot);
    loaded.push_back(std::move(*one));
  }
  Replayer replayer(clock, snapshots, options);
  bench::Run run = replayer.run();
  run.name = load.configPath ? *load.configPath : "default";
  return run;
}

}  // namespace epp::replay

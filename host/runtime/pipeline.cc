#include "host/runtime/pipeline.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <random>

#include "host/common/clock.h"
#include "host/common/logging.h"
#include "host/flowcontrol/flowcontrol_metrics.h"
#include "host/flowcontrol/legacy_admission.h"
#include "host/flowcontrol/rate_limiter.h"
#include "host/request/openai_request.h"
#include "host/request/usage_parser.h"
#include "host/routing/model_rewrite.h"
#include "host/runtime/metrics.h"
#include "host/runtime/model_routing.h"
#include "host/runtime/slo.h"
#include "host/runtime/tokenize_client.h"
#include "host/scheduling/request_context.h"
#include "host/scheduling/scheduler.h"

namespace epp::runtime {
namespace {

using extproc::HeaderList;
using extproc::RoutingDecision;
using scheduling::RequestContext;

constexpr char kFairnessHeader[] = "x-gateway-inference-fairness-id";
constexpr char kModelNameHeader[] = "x-gateway-model-name";
constexpr char kBaseModelNameHeader[] = "x-gateway-base-model-name";

const std::string* findHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

uint64_t randomSeed() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng();
}

int64_t wallMs() { return common::wallTimeNs() / 1'000'000; }

std::string joinDestinations(const std::vector<const epp_endpoint_view*>& targets) {
  std::string out;
  for (const auto* t : targets) {
    if (!out.empty()) out.push_back(',');
    out.append(t->host_port.ptr, t->host_port.len);
  }
  return out;
}

// Endpoints a request may go to: healthy (or not yet probed), and in the gateway's subset
// hint when it sent one.
std::vector<const epp_endpoint_view*> eligible(const epp_endpoint_list& eps,
                                               const extproc::RequestInput& in) {
  std::vector<const epp_endpoint_view*> out;
  out.reserve(eps.count);
  for (size_t i = 0; i < eps.count; ++i) {
    const epp_endpoint_view* v = eps.items[i];
    if (v->health != EPP_HEALTH_HEALTHY && v->health != EPP_HEALTH_UNKNOWN) continue;
    if (in.hasSubsetHint) {
      std::string_view hp(v->host_port.ptr, v->host_port.len);
      bool listed = false;
      for (const auto& s : in.subsetHint) listed = listed || s == hp;
      if (!listed) continue;
    }
    out.push_back(v);
  }
  return out;
}

bool allStale(const std::vector<const epp_endpoint_view*>& candidates) {
  for (const auto* v : candidates) {
    if ((v->flags & EPP_ENDPOINT_FLAG_STALE) == 0) return false;
  }
  return !candidates.empty();
}

// The headers set on a routed request upstream: the plugins' own, plus the routed model's
// name (and a LoRA adapter's base model) when routing.modelNameHeader is on.
extproc::HeaderList upstreamHeaders(const ConfigSnapshot& snap, const DecisionRecord& record,
                                    const RequestContext& request) {
  extproc::HeaderList out = request.upstreamHeaders();
  if (snap.config.routing.modelNameHeader) {
    out.emplace_back(kModelNameHeader, record.targetModel);
    if (record.routing && !record.routing->baseModel.empty()) {
      out.emplace_back(kBaseModelNameHeader, record.routing->baseModel);
    }
  }
  return out;
}

// The response path of one routed request: response hooks, usage, in-flight counts, SLOs.
class Observer final : public extproc::ResponseObserver {
 public:
  Observer(ConfigSnapshotPtr config, std::unique_ptr<RequestContext> request,
           const epp_endpoint_view* target, int targetIndex,
           std::weak_ptr<flowcontrol::FlowController> flow, const DecisionRecord& record)
      : config_(std::move(config)),
        request_(std::move(request)),
        slo_{record.sloTtftMs, record.sloTpotMs},
        profile_(record.primaryProfile),
        // The snapshot's own view: `target` may be a short-lived copy (live in-flight counts).
        target_(targetIndex >= 0 ? request_->endpoints().view(targetIndex) : target),
        targetIndex_(targetIndex),
        flow_(std::move(flow)) {
    response_.struct_size = sizeof response_;
    response_.endpoint = target_;
    response_.usage = {-1, -1, -1, -1};
    // A request routed as another model than its body named: responses get the name back.
    const auto& f = request_->fields();
    if (f.targetModel != f.model) rewriteBack_.emplace(f.targetModel, f.model);
    if (targetIndex_ >= 0) request_->endpoints().addInflight(targetIndex_, 1);
    Metrics::get().runningDelta(request_->fields().model, 1);
  }

  void onResponseHeaders(const HeaderList& headers, HeaderList& setHeaders) override {
    common::ScopedRequestId logScope(request_->fields().requestId);
    responseHeaders_ = headers;
    headerViews_.clear();
    for (const auto& [k, v] : responseHeaders_) {
      headerViews_.push_back({{k.data(), k.size()}, {v.data(), v.size()}});
      if (k == ":status") response_.status_code = std::atoi(v.c_str());
      if (k == "content-type" && v.find("text/event-stream") != std::string::npos) {
        response_.stream = true;
      }
    }
    response_.headers = headerViews_.data();
    response_.headers_count = headerViews_.size();
    response_.first_byte_ns = common::monotonicNowNs();
    usage_ = std::make_unique<request::UsageParser>(response_.stream);
    for (const auto* p : config_->scheduler.responseHooks) {
      if (auto fn = p->type().request_hooks->response_headers) {
        fn(p->pluginPtr(), request_->view(), &response_);
      }
    }
    // Headers plugins added to the client's response (response_set_header, ABI 1.2).
    for (auto& header : request_->takeResponseHeaders()) setHeaders.push_back(std::move(header));
  }

  void onResponseBody(std::string& chunk, bool endOfStream) override {
    common::ScopedRequestId logScope(request_->fields().requestId);
    if (firstTokenNs_ == 0 && !chunk.empty()) firstTokenNs_ = common::monotonicNowNs();
    if (rewriteBack_) rewriteBack_->rewrite(chunk, endOfStream);
    if (!usage_) usage_ = std::make_unique<request::UsageParser>(false);
    usage_->feed(chunk, endOfStream);
    if (endOfStream) copyUsage();
    epp_bytes bytes{reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()};
    for (const auto* p : config_->scheduler.responseHooks) {
      if (auto fn = p->type().request_hooks->response_body) {
        fn(p->pluginPtr(), request_->view(), &response_, bytes, endOfStream);
      }
    }
  }

  void onComplete(bool completed) override {
    common::ScopedRequestId logScope(request_->fields().requestId);
    copyUsage();
    response_.completed_ns = common::monotonicNowNs();
    bool gotResponse = response_.status_code != 0;
    for (const auto* p : config_->scheduler.responseHooks) {
      if (auto fn = p->type().request_hooks->request_complete) {
        fn(p->pluginPtr(), request_->view(), gotResponse ? &response_ : nullptr,
           completed ? EPP_OUTCOME_COMPLETED : EPP_OUTCOME_CANCELLED);
      }
    }
    if (targetIndex_ >= 0) request_->endpoints().addInflight(targetIndex_, -1);
    // A slot freed: a request held in flow control may dispatch now.
    if (auto flow = flow_.lock()) flow->wake();
    const auto& f = request_->fields();
    Metrics::get().runningDelta(f.model, -1);
    double seconds = static_cast<double>(response_.completed_ns - f.receivedNs) / 1e9;
    Metrics::get().requestCompleted(f.model, f.targetModel, seconds, response_.usage.prompt_tokens,
                                    response_.usage.completion_tokens);
    SloMeasurement m;
    m.receivedNs = f.receivedNs;
    m.firstTokenNs = firstTokenNs_;
    m.completedNs = response_.completed_ns;
    m.completionTokens = response_.usage.completion_tokens;
    m.succeeded = completed && response_.status_code >= 200 && response_.status_code < 300;
    recordSlo(slo_, m, f.model, profile_);
  }

 private:
  void copyUsage() {
    if (!usage_) return;
    const request::Usage& u = usage_->usage();
    response_.usage = {u.promptTokens, u.completionTokens, u.totalTokens, u.cachedPromptTokens};
  }

  ConfigSnapshotPtr config_;
  std::unique_ptr<RequestContext> request_;
  SloTargets slo_;
  std::string profile_;
  int64_t firstTokenNs_ = 0;
  const epp_endpoint_view* target_;
  int targetIndex_;
  std::weak_ptr<flowcontrol::FlowController> flow_;
  HeaderList responseHeaders_;
  std::vector<epp_kv> headerViews_;
  epp_response_view response_{};
  std::unique_ptr<request::UsageParser> usage_;
  std::optional<routing::ModelNameRewriter> rewriteBack_;
};

}  // namespace

Pipeline::Pipeline(SnapshotSource config, datalayer::EndpointStore& endpoints,
                   DecisionLog& decisions, SeedSource seeds, FlowDrive flowDrive)
    : config_(std::move(config)),
      endpoints_(endpoints),
      decisions_(decisions),
      seeds_(seeds ? std::move(seeds) : SeedSource(randomSeed)) {
  // Registers the admission metrics now, so /metrics shows them at 0 before the first shed.
  flowcontrol::FlowControlMetrics::get();
  flowcontrol::FlowController::Options options;
  options.config = [source = config_]() -> std::shared_ptr<const flowcontrol::FlowControlConfig> {
    ConfigSnapshotPtr snap = source();
    return {snap, &snap->flowControl};  // shares the snapshot: its instances stay alive
  };
  options.endpoints = &endpoints_;
  options.threaded = flowDrive == FlowDrive::kThread;
  options.hooks.saturationRead = [](const loader::PluginInstance& detector,
                                    const flowcontrol::SaturationReading& reading) {
    Metrics& metrics = Metrics::get();
    metrics.pluginDuration(detector, "saturation-detector",
                           static_cast<double>(reading.durationNs) / 1e9);
    if (!reading.ok) {
      metrics.pluginError(detector.name(), "saturation-detector");
      common::logger()->warn("flow control: saturation detector {} failed ({}); dispatching",
                             detector.name(), reading.error);
    }
  };
  options.hooks.fairnessFault = [](const loader::PluginInstance& fairness,
                                   const std::string& fault) {
    Metrics::get().pluginError(fairness.name(), "fairness-policy");
    common::logger()->warn(
        "flow control: fairness policy {} misbehaved ({}); the oldest head "
        "dispatched instead",
        fairness.name(), fault);
  };
  flow_ = std::make_shared<flowcontrol::FlowController>(std::move(options));
  tokenizeAllowed_ = flowDrive == FlowDrive::kThread;
}

// What the prepare stage hands to admission and scheduling: the parsed request, its
// snapshot and its decision record so far. A queued request waits in this form.
struct Pipeline::Pending {
  std::shared_ptr<extproc::RequestInput> input;
  ConfigSnapshotPtr snap;
  // The endpoints the request is scheduled over: those it arrived with, or (late binding)
  // the current ones when it leaves a flow-control queue.
  datalayer::EndpointSnapshotPtr eps;
  DecisionRecord record;
  scheduling::RequestFields fields;
  // Built from `fields` when first needed (plugins see it from then on).
  std::unique_ptr<RequestContext> request;
  // When set, the candidates' views: `eps` with live in-flight counts.
  std::shared_ptr<const flowcontrol::LiveViews> live;
  // The raw JSON of the body's "messages" (chat) or "prompt", for a model server's
  // /tokenize: an offset and length into input->body.
  size_t promptJsonOffset = 0;
  size_t promptJsonLength = 0;
  bool chat = false;
};

// A prepared request waiting in flow control: it holds the transport's callback (no
// thread waits) and leaves through the schedule stage or an error answer.
class Pipeline::Queued final : public flowcontrol::FlowRequest {
 public:
  Queued(Pipeline& pipeline, std::unique_ptr<Pending> pending, extproc::RouteCallback done)
      : pipeline_(pipeline), pending_(std::move(pending)), done_(std::move(done)) {}

  void dispatch(const flowcontrol::QueueExit& exit) override {
    record(exit);
    RoutingDecision decision;
    try {
      // Late binding: the endpoints as they are now, not as they were at arrival, with the
      // in-flight counts of this instant (the dispatcher is serial, so each dispatch sees
      // the one before it).
      pending_->eps = pipeline_.endpoints_.current();
      pending_->live = flowcontrol::liveViews(pending_->eps);
      pending_->request->rebindEndpoints(pending_->eps);
      decision = pipeline_.schedule(*pending_);
    } catch (const std::exception& e) {
      common::logger()->error("request {}: internal error: {}", pending_->record.requestId,
                              e.what());
      decision = RoutingDecision::error(500, "Internal", "internal error");
    }
    done_(std::move(decision));
  }

  void reject(const flowcontrol::QueueExit& exit) override {
    record(exit);
    flowcontrol::QueueError error = flowcontrol::queueError(exit.outcome);
    std::string detail = fmt::format(
        " ({}; band {}, fairness id '{}', waited {:.1f} ms)", exit.detail, exit.bandPriority,
        pending_->request->fields().fairnessId, static_cast<double>(exit.waitNs) / 1e6);
    done_(pipeline_.fail(pending_->record, error.status, error.code, error.message, detail));
  }

 private:
  void record(const flowcontrol::QueueExit& exit) {
    pending_->record.queue =
        QueueRecord{flowcontrol::outcomeLabel(exit.outcome), pending_->request->fields().fairnessId,
                    exit.bandPriority, exit.waitNs,
                    exit.outcome == flowcontrol::QueueOutcome::kDispatched ? "" : exit.detail};
  }

  Pipeline& pipeline_;
  std::unique_ptr<Pending> pending_;
  extproc::RouteCallback done_;
};

Pipeline::~Pipeline() { flow_->shutdown(); }

std::function<void()> Pipeline::flowWaker() const {
  return [flow = std::weak_ptr<flowcontrol::FlowController>(flow_)] {
    if (auto f = flow.lock()) f->wake();
  };
}

void Pipeline::route(std::shared_ptr<extproc::RequestInput> input, extproc::RouteCallback done) {
  RoutingDecision decision;
  try {
    std::unique_ptr<Pending> pending = prepare(input, decision);
    if (pending && wantsTokens(*pending)) {
      tokenizeThenProceed(std::move(pending), std::move(done));
      return;
    }
    if (pending) {
      proceed(std::move(pending), std::move(done));
      return;
    }
  } catch (const std::exception& e) {
    common::logger()->error("request {}: internal error: {}", input->requestId, e.what());
    decision = RoutingDecision::error(500, "Internal", "internal error");
  }
  done(std::move(decision));
}

void Pipeline::proceed(std::unique_ptr<Pending> pending, extproc::RouteCallback done) {
  RoutingDecision decision;
  const std::string requestId = pending->input->requestId;
  try {
    if (pending->snap->flowControl.enabled) {
      enqueue(std::move(pending), std::move(done));
      return;
    }
    if (auto shed = admitLegacy(*pending)) {
      decision = std::move(*shed);
    } else {
      decision = schedule(*pending);
    }
  } catch (const std::exception& e) {
    common::logger()->error("request {}: internal error: {}", requestId, e.what());
    decision = RoutingDecision::error(500, "Internal", "internal error");
  }
  done(std::move(decision));
}

bool Pipeline::wantsTokens(const Pending& pending) const {
  const config::TokenizationSpec& spec = pending.snap->config.tokenization;
  return spec.enabled && tokenizeAllowed_ && pending.fields.promptTokenIds.empty() &&
         pending.promptJsonLength > 0 &&
         static_cast<int64_t>(pending.fields.prompt.size()) <= spec.maxPromptBytes;
}

void Pipeline::tokenizeThenProceed(std::unique_ptr<Pending> pending, extproc::RouteCallback done) {
  std::vector<const epp_endpoint_view*> candidates = eligible(pending->eps->all(), *pending->input);
  if (candidates.empty()) return proceed(std::move(pending), std::move(done));  // 503 there
  const epp_endpoint_view* server =
      candidates[tokenizeRoundRobin_.fetch_add(1, std::memory_order_relaxed) % candidates.size()];
  const config::TokenizationSpec& spec = pending->snap->config.tokenization;
  TokenizeCall call;
  call.host = std::string(server->address.ptr, server->address.len);
  call.port = static_cast<uint16_t>(server->port);
  call.path = spec.path;
  call.timeoutNs = spec.timeoutNs;
  std::string_view promptJson = std::string_view(pending->input->body)
                                    .substr(pending->promptJsonOffset, pending->promptJsonLength);
  call.body = tokenizeBody(pending->fields.targetModel, promptJson, pending->chat);
  std::string endpoint(server->host_port.ptr, server->host_port.len);
  const int64_t start = common::monotonicNowNs();
  tokenizer().tokenize(
      std::move(call), [this, pending = std::shared_ptr<Pending>(std::move(pending)),
                        done = std::move(done), endpoint, start](TokenizeResult result) mutable {
        const double seconds = static_cast<double>(common::monotonicNowNs() - start) / 1e9;
        Metrics::get().tokenized(result.ok() ? "ok" : result.errorKind, seconds);
        TokenizeRecord record{endpoint, result.ok() ? "ok" : result.errorKind, 0, seconds * 1e3};
        if (result.ok()) {
          record.tokens = result.ids.size();
          pending->fields.promptTokenIds = std::move(result.ids);
        } else {
          common::logger()->warn("request {}: tokenize on {}: {}; scheduling without token ids",
                                 pending->input->requestId, endpoint, result.error);
        }
        pending->record.tokenize = std::move(record);
        proceed(std::make_unique<Pending>(std::move(*pending)), std::move(done));
      });
}

TokenizeClient& Pipeline::tokenizer() {
  std::call_once(tokenizerOnce_, [this] { tokenizer_ = std::make_unique<TokenizeClient>(); });
  return *tokenizer_;
}

void Pipeline::enqueue(std::unique_ptr<Pending> pending, extproc::RouteCallback done) {
  Pending& p = *pending;
  // Ordering policies read the request (headers, per-request state) while it waits.
  p.request = std::make_unique<RequestContext>(std::move(p.fields), p.eps, seeds_(), p.input);
  const scheduling::RequestFields& f = p.request->fields();
  flowcontrol::FlowRequestInfo info;
  info.requestId = f.requestId;
  info.key = {f.fairnessId, f.priority};
  info.byteSize = static_cast<int64_t>(p.input->body.size());
  info.view = p.request->view();
  info.modelName = p.record.model;
  info.targetModelName = p.record.targetModel;
  const epp_endpoint_list& all = p.eps->all();
  if (all.count > 0) info.pool.assign(all.items[0]->pool.ptr, all.items[0]->pool.len);
  info.cancel = p.input->cancelled;
  std::shared_ptr<const flowcontrol::FlowControlConfig> config(p.snap, &p.snap->flowControl);
  flow_->enqueue(std::make_unique<Queued>(*this, std::move(pending), std::move(done)),
                 std::move(info), std::move(config));
}

RoutingDecision Pipeline::decide(const std::shared_ptr<extproc::RequestInput>& input) {
  RoutingDecision answer;
  std::unique_ptr<Pending> pending = prepare(input, answer);
  if (!pending) return answer;
  if (auto shed = admitLegacy(*pending)) return std::move(*shed);
  return schedule(*pending);
}

RoutingDecision Pipeline::fail(DecisionRecord& record, int status, const char* code,
                               std::string message, const std::string& detail) {
  common::logger()->info("request {}: {} {} - {}{}", record.requestId, status, code, message,
                         detail);
  Metrics::get().requestError(record.model, record.targetModel, code);
  record.httpStatus = status;
  record.error = message;
  decisions_.add(std::move(record));
  return RoutingDecision::error(status, code, std::move(message));
}

// Stage 1, before admission: parse, resolve the model, the priority from the objective.
std::unique_ptr<Pipeline::Pending> Pipeline::prepare(
    const std::shared_ptr<extproc::RequestInput>& input, RoutingDecision& answer) {
  extproc::RequestInput& in = *input;
  common::ScopedRequestId logScope(in.requestId);
  ConfigSnapshotPtr snap = config_();
  datalayer::EndpointSnapshotPtr eps = endpoints_.current();
  Metrics& metrics = Metrics::get();
  DecisionRecord record;
  record.requestId = in.requestId;
  record.wallMs = wallMs();
  record.configGeneration = snap->generation;

  auto fail = [&](int status, const char* code, std::string message, std::string detail = "") {
    answer = this->fail(record, status, code, std::move(message), detail);
    return nullptr;
  };

  const std::string* pathHeader = findHeader(in.headers, ":path");
  std::string path = pathHeader ? *pathHeader : "";
  // Candidates at arrival: model routing checks LoRA placement over them.
  std::vector<const epp_endpoint_view*> candidates = eligible(eps->all(), in);

  if (in.headersOnly) {
    // No body, no model: the reference sends these to a random endpoint.
    if (candidates.empty()) {
      return in.hasSubsetHint
                 ? fail(503, "ServiceUnavailable", "no eligible endpoint in the subset hint")
                 : fail(500, "Internal", "no endpoint for a request without a body");
    }
    const epp_endpoint_view* pick = candidates[seeds_() % candidates.size()];
    RoutingDecision d;
    d.destination = std::string(pick->host_port.ptr, pick->host_port.len);
    record.picks = {d.destination};
    decisions_.add(std::move(record));
    answer = std::move(d);
    return nullptr;
  }

  auto parsed = request::parseOpenAiRequest(in.body, request::apiTypeForPath(path));
  if (!parsed) return fail(400, "BadRequest", parsed.error());
  record.model = parsed->model;
  routing::Route route = routeModel(*snap, in, *parsed, candidates, seeds_, record);
  const std::string* objective = findHeader(in.headers, flowcontrol::kObjectiveHeader);
  if (objective && !objective->empty()) {
    flowcontrol::ObjectivePriority found = snap->objectives.lookup(*objective);
    record.objective = *objective;
    record.priority = found.priority;
    if (!found.known) {
      common::logger()->debug("request {}: objective '{}' is not configured: priority 0",
                              in.requestId, *objective);
    }
  }
  SloTargets slo = readSloTargets(in.headers, in.requestId);
  record.sloTtftMs = slo.ttftMs;
  record.sloTpotMs = slo.tpotMs;
  metrics.requestStarted(record.model, record.targetModel, record.priority);
  if (!route.ok()) return fail(route.httpStatus, route.errorCode.c_str(), route.errorMessage);

  if (!snap->rateLimiters.empty()) {
    if (auto refused = flowcontrol::checkRateLimits(snap->rateLimiters, in.headers,
                                                    common::monotonicNowNs())) {
      fail(429, "ResourceExhausted", "rate limit exceeded",
           fmt::format(" (limit '{}', key '{}', retry after {} s)", refused->limiter->spec().name,
                       refused->key, refused->retryAfterSeconds()));
      answer.errorHeaders.emplace_back("retry-after", refused->retryAfterSeconds());
      return nullptr;
    }
  }

  scheduling::RequestFields fields;
  fields.requestId = in.requestId;
  fields.path = std::move(path);
  fields.model = parsed->model;
  fields.targetModel = record.targetModel;
  fields.loraAdapter = route.loraAdapter;
  fields.priority = record.priority;
  const std::string* fairness = findHeader(in.headers, kFairnessHeader);
  if (fairness && !fairness->empty()) fields.fairnessId = *fairness;
  fields.prompt = std::move(parsed->prompt);
  fields.promptTokenIds = std::move(parsed->promptTokenIds);
  fields.stream = parsed->stream;
  fields.receivedNs = in.receivedNs;
  fields.body = in.body;
  fields.headers = in.headers;
  auto pending = std::make_unique<Pending>();
  pending->input = input;
  pending->snap = std::move(snap);
  pending->eps = std::move(eps);
  pending->record = std::move(record);
  pending->fields = std::move(fields);
  pending->promptJsonOffset = parsed->promptJsonOffset;
  pending->promptJsonLength = parsed->promptJsonLength;
  pending->chat = parsed->api == request::ApiType::kChatCompletions;
  return pending;
}

// Legacy admission (the flowControl gate off): a sheddable request is shed while the pool
// is saturated. Returns the 429, or nullopt when the request may go on to scheduling.
std::optional<RoutingDecision> Pipeline::admitLegacy(Pending& pending) {
  const extproc::RequestInput& in = *pending.input;
  common::ScopedRequestId logScope(in.requestId);
  DecisionRecord& record = pending.record;
  Metrics& metrics = Metrics::get();
  const loader::PluginInstance* detector = pending.snap->saturationDetector;
  if (!flowcontrol::isSheddable(record.priority) || detector == nullptr) return std::nullopt;
  int64_t now = common::monotonicNowNs();
  auto live = livePool_.get(pending.eps, now);
  std::vector<const epp_endpoint_view*> pool = eligible(live->all(), in);
  flowcontrol::AdmissionResult admission =
      flowcontrol::admitLegacy(detector, record.priority, {pool.data(), pool.size()}, now);
  const flowcontrol::SaturationReading& reading = admission.reading;
  std::string poolName =
      pool.empty() ? "default" : std::string(pool.front()->pool.ptr, pool.front()->pool.len);
  flowcontrol::FlowControlMetrics::get().admission(admission, poolName);
  metrics.pluginDuration(*detector, "saturation-detector",
                         static_cast<double>(reading.durationNs) / 1e9);
  record.admission = AdmissionRecord{flowcontrol::outcomeName(admission.outcome), detector->name(),
                                     reading.value, reading.error};
  if (admission.outcome == flowcontrol::AdmissionResult::Outcome::kFailedOpen) {
    metrics.pluginError(detector->name(), "saturation-detector");
    common::logger()->warn(
        "request {}: saturation detector {} failed ({}); admitting the sheddable request",
        in.requestId, detector->name(), reading.error);
  }
  if (admission.admitted()) return std::nullopt;
  return fail(record, 429, "ResourceExhausted", flowcontrol::kShedMessage,
              fmt::format(" (priority {}, objective '{}', pool saturation {:.3f} from {})",
                          record.priority, record.objective, reading.value, detector->name()));
}

// Stage 2, after admission: choose the candidates, schedule, run the pre-request hooks.
RoutingDecision Pipeline::schedule(Pending& pending) {
  const extproc::RequestInput& in = *pending.input;
  common::ScopedRequestId logScope(in.requestId);
  const ConfigSnapshotPtr& snap = pending.snap;
  const datalayer::EndpointSnapshotPtr& eps = pending.eps;
  Metrics& metrics = Metrics::get();
  DecisionRecord& record = pending.record;
  auto fail = [&](int status, const char* code, std::string message) {
    return this->fail(record, status, code, std::move(message));
  };
  std::vector<const epp_endpoint_view*> candidates =
      eligible(pending.live ? pending.live->all() : eps->all(), in);
  if (candidates.empty()) {
    return fail(
        503, "ServiceUnavailable",
        in.hasSubsetHint ? "no eligible endpoint in the subset hint" : "no healthy endpoint");
  }
  std::unique_ptr<RequestContext>& request = pending.request;
  if (!request) {
    request =
        std::make_unique<RequestContext>(std::move(pending.fields), eps, seeds_(), pending.input);
  }

  // Scores computed from stale metrics would be guesses: when every candidate's metrics
  // are stale, spread requests evenly until fresh metrics arrive, and say so once.
  if (allStale(candidates)) {
    if (!degraded_.exchange(true)) {
      common::logger()->warn(
          "every candidate endpoint's metrics are stale: routing round-robin over {} healthy "
          "endpoints until fresh metrics arrive",
          candidates.size());
      metrics.degradedRouting(true);
    }
    metrics.degradedRequest();
    const epp_endpoint_view* pick =
        candidates[roundRobin_.fetch_add(1, std::memory_order_relaxed) % candidates.size()];
    RoutingDecision d;
    d.destination = std::string(pick->host_port.ptr, pick->host_port.len);
    d.setHeaders = upstreamHeaders(*snap, record, *request);
    record.primaryProfile = "degraded-round-robin";
    record.picks = {d.destination};
    d.observer = std::make_unique<Observer>(snap, std::move(request), pick, eps->findById(pick->id),
                                            flow_, record);
    decisions_.add(std::move(record));
    return d;
  }
  if (degraded_.load(std::memory_order_relaxed) && degraded_.exchange(false)) {
    common::logger()->warn("endpoint metrics are fresh again: scheduling resumes");
    metrics.degradedRouting(false);
  }

  epp_endpoint_list list{candidates.data(), candidates.size()};
  for (const auto* p : snap->scheduler.prepareRequest) {
    epp_status s = p->type().request_hooks->prepare_request(p->pluginPtr(), request->view(), &list);
    if (s != EPP_OK) {
      metrics.pluginError(p->name(), "prepare-request");
      common::logger()->warn("request {}: plugin {} prepare_request failed with status {}",
                             in.requestId, p->name(), s);
    }
  }
  scheduling::ScheduleResult result =
      scheduling::schedule(snap->scheduler, *request, list, decisions_.enabled());
  metrics.schedulerDuration(static_cast<double>(result.durationNs) / 1e9, result.ok);
  for (const auto& t : result.timings) {
    metrics.pluginDuration(*t.plugin, t.extensionPoint, static_cast<double>(t.ns) / 1e9);
  }
  for (const auto& f : result.faults) {
    metrics.pluginError(f.plugin, f.extensionPoint);
    common::logger()->warn("request {}: plugin {} ({}) misbehaved: {}", in.requestId, f.plugin,
                           f.extensionPoint, f.message);
  }
  record.schedulingNs = result.durationNs;
  record.profiles = std::move(result.trace);
  record.faults = result.faults;
  record.primaryProfile = result.primaryProfile;
  if (!result.ok) return fail(503, "ServiceUnavailable", result.error);

  epp_scheduling_result abi = result.abiResult();
  for (const auto* p : snap->scheduler.preRequest) {
    p->type().request_hooks->pre_request(p->pluginPtr(), request->view(), &abi);
  }

  RoutingDecision d;
  d.destination = joinDestinations(result.targets);
  d.setHeaders = upstreamHeaders(*snap, record, *request);
  for (const auto* t : result.targets)
    record.picks.emplace_back(t->host_port.ptr, t->host_port.len);
  const epp_endpoint_view* primary = result.targets.front();
  int index = eps->findById(primary->id);
  d.observer = std::make_unique<Observer>(snap, std::move(request), primary, index, flow_, record);
  decisions_.add(std::move(record));
  return d;
}

void logAdmissionMode(const ConfigSnapshot& snapshot) {
  auto& log = *common::logger();
  const loader::PluginInstance* detector = snapshot.saturationDetector;
  if (snapshot.flowControlGate) {
    const flowcontrol::FlowControlConfig& fc = snapshot.flowControl;
    std::string bands;
    for (const auto& b : fc.bands) {
      bands +=
          fmt::format("{}{} ({}, {}, maxRequests {}, maxBytes {}{})", bands.empty() ? "" : "; ",
                      b.priority, b.fairness->name(), b.ordering->name(), b.maxRequests, b.maxBytes,
                      b.saturationCeiling < 1.0
                          ? fmt::format(", dispatches below saturation {}", b.saturationCeiling)
                          : std::string());
    }
    log.info(
        "admission: flow control: requests queue by (fairness id, priority) and dispatch while "
        "{}; bands: {}; other priorities: {}, {}, maxRequests {}, maxBytes {}; "
        "defaultRequestTTL {} ms, maxRequests {}, maxBytes {}",
        detector == nullptr
            ? std::string("always (no saturation detector)")
            : fmt::format("{} ({}) reads < 1.0", detector->name(), detector->typeName()),
        bands.empty() ? "none configured" : bands, fc.defaultBand.fairness->name(),
        fc.defaultBand.ordering->name(), fc.defaultBand.maxRequests, fc.defaultBand.maxBytes,
        fc.defaultTtlNs / 1'000'000, fc.maxRequests, fc.maxBytes);
    return;
  }
  std::string how =
      detector == nullptr
          ? std::string("no saturation detector: sheddable requests are never shed")
          : fmt::format("sheddable requests (priority < 0) shed while {} ({}) reads >= 1.0",
                        detector->name(), detector->typeName());
  log.info("admission: legacy mode: {}; {} objective(s) configured", how,
           snapshot.objectives.size());
}

}  // namespace epp::runtime

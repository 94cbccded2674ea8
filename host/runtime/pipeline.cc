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
#include "host/scheduling/request_context.h"
#include "host/scheduling/scheduler.h"

namespace epp::runtime {
namespace {

using extproc::HeaderList;
using extproc::RoutingDecision;
using scheduling::RequestContext;

constexpr char kFairnessHeader[] = "x-gateway-inference-fairness-id";

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

// The response path of one routed request: response hooks, usage, in-flight counts.
class Observer final : public extproc::ResponseObserver {
 public:
  Observer(ConfigSnapshotPtr config, std::unique_ptr<RequestContext> request,
           const epp_endpoint_view* target, int targetIndex)
      : config_(std::move(config)),
        request_(std::move(request)),
        target_(target),
        targetIndex_(targetIndex) {
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
    const auto& f = request_->fields();
    Metrics::get().runningDelta(f.model, -1);
    double seconds = static_cast<double>(response_.completed_ns - f.receivedNs) / 1e9;
    Metrics::get().requestCompleted(f.model, f.targetModel, seconds, response_.usage.prompt_tokens,
                                    response_.usage.completion_tokens);
  }

 private:
  void copyUsage() {
    if (!usage_) return;
    const request::Usage& u = usage_->usage();
    response_.usage = {u.promptTokens, u.completionTokens, u.totalTokens, u.cachedPromptTokens};
  }

  ConfigSnapshotPtr config_;
  std::unique_ptr<RequestContext> request_;
  const epp_endpoint_view* target_;
  int targetIndex_;
  HeaderList responseHeaders_;
  std::vector<epp_kv> headerViews_;
  epp_response_view response_{};
  std::unique_ptr<request::UsageParser> usage_;
  std::optional<routing::ModelNameRewriter> rewriteBack_;
};

}  // namespace

Pipeline::Pipeline(SnapshotSource config, datalayer::EndpointStore& endpoints,
                   DecisionLog& decisions, SeedSource seeds)
    : config_(std::move(config)),
      endpoints_(endpoints),
      decisions_(decisions),
      seeds_(seeds ? std::move(seeds) : SeedSource(randomSeed)) {
  // Registers the admission metrics now, so /metrics shows them at 0 before the first shed.
  flowcontrol::FlowControlMetrics::get();
}

void Pipeline::route(std::shared_ptr<extproc::RequestInput> input, extproc::RouteCallback done) {
  RoutingDecision decision;
  try {
    decision = decide(input);
  } catch (const std::exception& e) {
    common::logger()->error("request {}: internal error: {}", input->requestId, e.what());
    decision = RoutingDecision::error(500, "Internal", "internal error");
  }
  done(std::move(decision));
}

RoutingDecision Pipeline::decide(const std::shared_ptr<extproc::RequestInput>& input) {
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
    common::logger()->info("request {}: {} {} - {}{}", in.requestId, status, code, message, detail);
    metrics.requestError(record.model, record.targetModel, code);
    record.httpStatus = status;
    record.error = message;
    decisions_.add(std::move(record));
    return RoutingDecision::error(status, code, std::move(message));
  };

  const std::string* pathHeader = findHeader(in.headers, ":path");
  std::string path = pathHeader ? *pathHeader : "";
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
    return d;
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
  metrics.requestStarted(record.model, record.targetModel, record.priority);
  if (!route.ok()) return fail(route.httpStatus, route.errorCode.c_str(), route.errorMessage);

  if (!snap->rateLimiters.empty()) {
    if (auto refused = flowcontrol::checkRateLimits(snap->rateLimiters, in.headers,
                                                    common::monotonicNowNs())) {
      RoutingDecision d = fail(
          429, "ResourceExhausted", "rate limit exceeded",
          fmt::format(" (limit '{}', key '{}', retry after {} s)", refused->limiter->spec().name,
                      refused->key, refused->retryAfterSeconds()));
      d.errorHeaders.emplace_back("retry-after", refused->retryAfterSeconds());
      return d;
    }
  }

  // Admission (legacy mode; also while the flowControl gate has no flow control behind it).
  const loader::PluginInstance* detector = snap->saturationDetector;
  if (flowcontrol::isSheddable(record.priority) && detector != nullptr) {
    int64_t now = common::monotonicNowNs();
    auto live = livePool_.get(eps, now);
    std::vector<const epp_endpoint_view*> pool = eligible(live->all(), in);
    flowcontrol::AdmissionResult admission =
        flowcontrol::admitLegacy(detector, record.priority, {pool.data(), pool.size()}, now);
    const flowcontrol::SaturationReading& reading = admission.reading;
    std::string poolName =
        pool.empty() ? "default" : std::string(pool.front()->pool.ptr, pool.front()->pool.len);
    flowcontrol::FlowControlMetrics::get().admission(admission, poolName);
    metrics.pluginDuration(*detector, "saturation-detector",
                           static_cast<double>(reading.durationNs) / 1e9);
    record.admission = AdmissionRecord{flowcontrol::outcomeName(admission.outcome),
                                       detector->name(), reading.value, reading.error};
    if (admission.outcome == flowcontrol::AdmissionResult::Outcome::kFailedOpen) {
      metrics.pluginError(detector->name(), "saturation-detector");
      common::logger()->warn(
          "request {}: saturation detector {} failed ({}); admitting the sheddable request",
          in.requestId, detector->name(), reading.error);
    }
    if (!admission.admitted()) {
      return fail(429, "ResourceExhausted", flowcontrol::kShedMessage,
                  fmt::format(" (priority {}, objective '{}', pool saturation {:.3f} from {})",
                              record.priority, record.objective, reading.value, detector->name()));
    }
  }
  if (candidates.empty()) {
    return fail(
        503, "ServiceUnavailable",
        in.hasSubsetHint ? "no eligible endpoint in the subset hint" : "no healthy endpoint");
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
  fields.stream = parsed->stream;
  fields.receivedNs = in.receivedNs;
  fields.body = in.body;
  fields.headers = in.headers;
  auto request = std::make_unique<RequestContext>(std::move(fields), eps, seeds_(), input);

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
    d.setHeaders = request->upstreamHeaders();
    record.primaryProfile = "degraded-round-robin";
    record.picks = {d.destination};
    d.observer =
        std::make_unique<Observer>(snap, std::move(request), pick, eps->findById(pick->id));
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
  d.setHeaders = request->upstreamHeaders();
  for (const auto* t : result.targets)
    record.picks.emplace_back(t->host_port.ptr, t->host_port.len);
  const epp_endpoint_view* primary = result.targets.front();
  int index = eps->findById(primary->id);
  d.observer = std::make_unique<Observer>(snap, std::move(request), primary, index);
  decisions_.add(std::move(record));
  return d;
}

void logAdmissionMode(const ConfigSnapshot& snapshot) {
  auto& log = *common::logger();
  const loader::PluginInstance* detector = snapshot.saturationDetector;
  std::string how =
      detector == nullptr
          ? std::string("no saturation detector: sheddable requests are never shed")
          : fmt::format("sheddable requests (priority < 0) shed while {} ({}) reads >= 1.0",
                        detector->name(), detector->typeName());
  if (snapshot.flowControlGate) {
    log.warn(
        "admission: the flowControl feature gate is on, but flow control is not "
        "implemented yet; using legacy admission: {}",
        how);
  } else {
    log.info("admission: legacy mode: {}; {} objective(s) configured", how,
             snapshot.objectives.size());
  }
}

}  // namespace epp::runtime

#include "tools/sim/sim_server.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <unordered_map>

#include "host/request/openai_request.h"
#include "plugins/common/chars_tokenizer.h"
#include "tools/sim/engine/engine.h"
#include "tools/sim/engine/prompt_blocks.h"
#include "tools/sim/http_session.h"
#include "tools/sim/kv_event_publisher.h"
#include "tools/sim/openai_api.h"
#include "tools/sim/virtual_clock.h"

namespace epp::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

double unixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

HttpResponse jsonResponse(http::status status, std::string body) {
  HttpResponse res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

HttpResponse errorResponse(const ApiError& error) {
  return jsonResponse(static_cast<http::status>(error.status), errorJson(error));
}

std::string_view stripQuery(std::string_view target) {
  const size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

ApiError rejectionError(const SubmitResult& r) {
  switch (r.reason) {
    case RejectReason::kQueueFull:
      return {429, "TooManyRequestsError", r.message};
    default:
      return {400, "BadRequestError", r.message};
  }
}

// One completion request in flight: where its answer goes and what it has produced.
struct Pending {
  // Held strongly: while the engine works no I/O is pending on the connection, so nothing
  // else keeps it alive.
  std::shared_ptr<HttpSession> session;
  ResponseWriter writer;
  bool stream = false;
  bool chat = false;
  bool includeUsage = false;
  std::string finishReason;
  std::string text;  // non-streaming: the whole output so far
  UsageCounts usage;
  std::string requestId;  // the client's x-request-id, echoed
};

}  // namespace

class SimServer::Impl : public SessionHost, public EventSink {
 public:
  explicit Impl(ServerOptions options)
      : options_(std::move(options)),
        engine_(options_.engine),
        clock_(SteadyClock::now(), options_.timeScale),
        tick_(ioc_),
        acceptor_(ioc_),
        work_(asio::make_work_guard(ioc_)),
        faultRng_(options_.engine.seed ^ 0x5eed'fa17ull),
        startedAt_(SteadyClock::now()),
        startedUnix_(unixSeconds()) {}

  ~Impl() override { stop(); }

  common::Result<void> listen() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.address, ec);
    if (ec) return common::Error{"bad address '" + options_.address + "': " + ec.message()};
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return common::Error{"cannot listen on " + options_.address + ":" +
                           std::to_string(options_.port) + ": " + ec.message()};
    }
    port_ = acceptor_.local_endpoint().port();
    if (options_.kvEventsPort) {
      // The topic names this server as eppd names the endpoint, as vLLM's sidecars do.
      auto publisher = KvEventPublisher::bind(
          options_.address, *options_.kvEventsPort,
          "kv@" + options_.address + ":" + std::to_string(port_) + "@" + options_.model,
          options_.loras);
      if (!publisher) return common::Error{publisher.error()};
      kvEvents_ = std::move(*publisher);
      engine_.setKvEventListener(kvEvents_.get());
    }
    accept();
    thread_ = std::thread([this] { ioc_.run(); });
    return {};
  }

  void stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  int kvEventsPort() const { return kvEvents_ ? kvEvents_->port() : 0; }
  // Sends the KV events the last engine steps produced.
  void publishKvEvents() {
    if (kvEvents_) kvEvents_->flush(unixSeconds());
  }
  bool crashed() const { return crashed_.load(); }

  // --- SessionHost ---
  void onRequest(const std::shared_ptr<HttpSession>& session, HttpRequest&& req) override {
    const std::string_view path = stripQuery({req.target().data(), req.target().size()});
    const auto method = req.method();
    auto reply = [&](HttpResponse res) {
      if (auto id = req.find("x-request-id"); id != req.end()) {
        res.set("x-request-id", id->value());
      }
      session->respond(std::move(res));
    };
    if (path == "/v1/chat/completions" || path == "/v1/completions") {
      if (method != http::verb::post) return reply(methodNotAllowed());
      return handleCompletion(session, req, path);
    }
    if (path == "/v1/models") {
      if (method != http::verb::get) return reply(methodNotAllowed());
      return reply(models());
    }
    if (path == "/tokenize") {
      if (method != http::verb::post) return reply(methodNotAllowed());
      return reply(tokenize(req.body()));
    }
    if (path == metricsPath(options_.dialect)) {
      if (method != http::verb::get) return reply(methodNotAllowed());
      return handleMetrics(session);
    }
    if (path == "/metrics" && options_.dialect == Dialect::kTrtllmServe) {
      advance();
      return reply(jsonResponse(http::status::ok,
                                renderTrtllmIterationStats(engine_.metrics(), unixSeconds())));
    }
    if (path == "/health") return reply(health());
    // Triton answers readiness on the KServe v2 paths.
    if (options_.dialect == Dialect::kTriton &&
        (path == "/v2/health/ready" || path == "/v2/health/live")) {
      return reply(health());
    }
    if (path == "/sim/fault") {
      if (method == http::verb::post) return reply(setFaults(req.body()));
      if (method != http::verb::get) return reply(methodNotAllowed());
      return reply(jsonResponse(
          http::status::ok, faultStateJson(options_.faults, clock_.stalled(SteadyClock::now()))));
    }
    if (path == "/sim/reset") {
      if (method != http::verb::post) return reply(methodNotAllowed());
      advance();
      engine_.resetCaches();
      publishKvEvents();
      loraSeries_.clear();
      return reply(jsonResponse(http::status::ok, R"({"status":"reset"})"));
    }
    reply(jsonResponse(http::status::not_found, R"({"detail":"Not Found"})"));
  }

  void onSessionClosed(HttpSession& session) override {
    if (session.activeRequest == 0) return;
    engine_.cancel(session.activeRequest);
    pending_.erase(session.activeRequest);
    session.activeRequest = 0;
    scheduleTick();
  }

  // --- EventSink ---
  void onFirstToken(uint64_t id, Micros, int32_t promptTokens, int32_t cached) override {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Pending& p = it->second;
    p.usage.promptTokens = promptTokens;
    p.usage.cachedTokens = cached;
    if (p.stream && p.chat) p.session->streamData(p.writer.roleEvent());
  }

  void onTokens(uint64_t id, Micros, int32_t count, int32_t total) override {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Pending& p = it->second;
    std::string text;
    for (int32_t i = total - count; i < total; ++i) text += tokenText(i);
    if (p.stream) {
      p.session->streamData(p.writer.textEvent(text));
    } else {
      p.text += text;
    }
  }

  void onFinished(uint64_t id, Micros, const FinishInfo& info) override {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Pending p = std::move(it->second);
    pending_.erase(it);
    p.usage.promptTokens = info.promptTokens;
    p.usage.cachedTokens = info.cachedPromptTokens;
    p.usage.completionTokens = info.outputTokens;
    const auto& session = p.session;
    if (!session->open()) return;
    session->activeRequest = 0;
    if (p.stream) {
      std::string tail = p.writer.finishEvent(p.finishReason);
      if (p.includeUsage) tail += p.writer.usageEvent(p.usage);
      tail += ResponseWriter::doneEvent();
      session->streamData(tail);
      session->endStream();
    } else {
      HttpResponse res =
          jsonResponse(http::status::ok, p.writer.fullResponse(p.text, p.finishReason, p.usage));
      if (!p.requestId.empty()) res.set("x-request-id", p.requestId);
      session->respond(std::move(res));
    }
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted && acceptor_.is_open()) accept();
        return;
      }
      auto session = std::make_shared<HttpSession>(std::move(socket), *this);
      if (sessions_.size() > 64) {
        std::erase_if(sessions_, [](const std::weak_ptr<HttpSession>& w) { return w.expired(); });
      }
      sessions_.push_back(session);
      session->start();
      accept();
    });
  }

  bool loading() const {
    return options_.faults.loadSeconds > 0 &&
           SteadyClock::now() - startedAt_ <
               std::chrono::duration<double>(options_.faults.loadSeconds);
  }

  static HttpResponse methodNotAllowed() {
    return jsonResponse(http::status::method_not_allowed, R"({"detail":"Method Not Allowed"})");
  }

  HttpResponse health() const {
    if (const int status = options_.faults.healthStatus; status != 0) {
      return jsonResponse(static_cast<http::status>(status),
                          errorJson({status, "ServiceUnavailableError",
                                     "simulated health failure (/sim/fault healthStatus)"}));
    }
    if (loading()) {
      return jsonResponse(
          http::status::service_unavailable,
          R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})");
    }
    return jsonResponse(http::status::ok, R"({"status":"ok"})");
  }

  // vLLM's POST /tokenize: {"model", "messages"} (the chat template applied: here the
  // contents joined by "\n", as the engine sees a chat prompt) or {"model", "prompt"} ->
  // {"count", "max_model_len", "tokens"}: the ids the engine computes its KV blocks from.
  HttpResponse tokenize(std::string_view body) const {
    auto parsed = request::parseOpenAiRequest(body, request::ApiType::kChatCompletions);
    if (!parsed) {
      return jsonResponse(http::status::bad_request,
                          errorJson({400, "BadRequestError", parsed.error()}));
    }
    std::vector<uint32_t> ids = std::move(parsed->promptTokenIds);
    if (ids.empty()) plugins::charsTokenize(parsed->prompt, options_.engine.charsPerToken, ids);
    using json = nlohmann::ordered_json;
    json out = {
        {"count", ids.size()}, {"max_model_len", options_.engine.maxModelLen}, {"tokens", ids}};
    return jsonResponse(http::status::ok, out.dump());
  }

  HttpResponse models() const {
    using json = nlohmann::ordered_json;
    const auto created = static_cast<int64_t>(startedUnix_);
    const std::string owner(ownedBy(options_.dialect));
    json data = json::array();
    data.push_back({{"id", options_.model},
                    {"object", "model"},
                    {"created", created},
                    {"owned_by", owner},
                    {"root", options_.model},
                    {"parent", nullptr},
                    {"max_model_len", options_.engine.maxModelLen}});
    for (const auto& lora : options_.loras) {
      data.push_back({{"id", lora},
                      {"object", "model"},
                      {"created", created},
                      {"owned_by", owner},
                      {"root", "/adapters/" + lora},
                      {"parent", options_.model},
                      {"max_model_len", nullptr}});
    }
    return jsonResponse(http::status::ok, json{{"object", "list"}, {"data", data}}.dump());
  }

  void advance() {
    if (crashed_) return;
    engine_.advanceTo(clock_.at(SteadyClock::now()), *this);
    publishKvEvents();
  }

  void scheduleTick() {
    if (crashed_) return;
    const auto next = engine_.nextEventTime();
    if (!next) {
      if (tickArmed_) tick_.cancel();
      tickArmed_ = false;
      return;
    }
    const auto wall = clock_.wallAt(*next);
    if (tickArmed_ && wall == tickAt_) return;
    tickArmed_ = true;
    tickAt_ = wall;
    tick_.expires_at(wall);
    tick_.async_wait([this](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      tickArmed_ = false;
      advance();
      scheduleTick();
    });
  }

  void handleCompletion(const std::shared_ptr<HttpSession>& session, const HttpRequest& req,
                        std::string_view path) {
    auto reply = [&](HttpResponse res) {
      if (auto id = req.find("x-request-id"); id != req.end()) res.set("x-request-id", id->value());
      session->respond(std::move(res));
    };
    ++completionRequests_;
    const FaultOptions& faults = options_.faults;
    if (faults.crashAfter > 0 && completionRequests_ > faults.crashAfter) return crash();
    if (loading()) {
      return reply(errorResponse({503, "ServiceUnavailableError", "Loading model"}));
    }
    if (faults.errorRate > 0 &&
        std::uniform_real_distribution<double>(0, 1)(faultRng_) < faults.errorRate) {
      return reply(
          errorResponse({500, "InternalServerError", "simulated engine failure (--error-rate)"}));
    }
    const auto api = request::apiTypeForPath(path);
    CompletionCall call;
    if (auto err = parseCompletionCall(req.body(), api, call)) return reply(errorResponse(*err));
    std::string_view lora;
    if (call.model != options_.model) {
      auto it = std::find(options_.loras.begin(), options_.loras.end(), call.model);
      if (it == options_.loras.end()) {
        return reply(errorResponse(
            {404, "NotFoundError", "The model `" + call.model + "` does not exist."}));
      }
      lora = *it;
    }

    // One reading of the clock for advancing, submitting and a stall starting now, so a
    // stall freezes the engine exactly at this request's arrival.
    const auto wallNow = SteadyClock::now();
    const Micros now = clock_.at(wallNow);
    if (!crashed_) {
      engine_.advanceTo(now, *this);
      publishKvEvents();
    }
    const uint64_t id = ++nextRequestId_;
    SimRequest sim;
    sim.id = id;
    sim.model = options_.model;
    sim.lora = lora;
    sim.prompt = call.prompt;
    std::string finishReason = "length";
    if (call.maxTokens) {
      sim.maxOutputTokens = *call.maxTokens;
    } else {
      // No limit given: generate the default, or what the context has room for.
      const int32_t room =
          options_.engine.maxModelLen - estimateTokens(call.prompt, options_.engine.charsPerToken);
      sim.maxOutputTokens = std::max(1, std::min(options_.defaultMaxTokens, room));
      finishReason = "stop";
    }
    SubmitResult submitted = engine_.submit(sim, now);
    if (!submitted.accepted()) return reply(errorResponse(rejectionError(submitted)));

    Pending p{session,
              ResponseWriter(api, id, call.model, static_cast<int64_t>(unixSeconds())),
              call.stream,
              api == request::ApiType::kChatCompletions,
              call.includeUsage,
              finishReason,
              {},
              {},
              {}};
    if (auto rid = req.find("x-request-id"); rid != req.end()) {
      p.requestId = std::string(rid->value());
    }
    pending_.emplace(id, std::move(p));
    session->activeRequest = id;
    if (call.stream) {
      session->startStream(http::status::ok, "text/event-stream; charset=utf-8",
                           pending_.at(id).requestId);
    }
    if (faults.stallAfter > 0 && faults.stallSeconds > 0 &&
        completionRequests_ == faults.stallAfter) {
      clock_.stall(wallNow, std::chrono::duration_cast<SteadyClock::duration>(
                                std::chrono::duration<double>(faults.stallSeconds)));
    }
    scheduleTick();
  }

  // POST /sim/fault: the body replaces the runtime faults; a stall starts now.
  HttpResponse setFaults(std::string_view body) {
    auto update = parseFaultUpdate(body);
    if (!update) {
      return jsonResponse(http::status::bad_request,
                          errorJson({400, "BadRequestError", update.error()}));
    }
    applyFaultUpdate(*update, options_.faults);
    if (update->stallSeconds > 0) advance();  // the engine stops where it is now
    const auto wallNow = SteadyClock::now();
    if (update->stallSeconds > 0 && !crashed_) {
      clock_.stall(wallNow, std::chrono::duration_cast<SteadyClock::duration>(
                                std::chrono::duration<double>(update->stallSeconds)));
      scheduleTick();
    }
    return jsonResponse(http::status::ok, faultStateJson(options_.faults, clock_.stalled(wallNow)));
  }

  void handleMetrics(const std::shared_ptr<HttpSession>& session) {
    const auto delay = options_.faults.metricsDelayMs;
    if (delay <= 0) return session->respond(metricsResponse());
    auto timer = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(delay));
    timer->async_wait([this, timer, session](auto ec) {
      if (!ec) session->respond(metricsResponse());
    });
  }

  HttpResponse metricsResponse() {
    advance();
    if (options_.faults.metrics == MetricsFault::kError) {
      HttpResponse res{http::status::internal_server_error, 11};
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "Internal Server Error";
      return res;
    }
    if (options_.faults.metrics == MetricsFault::kGarbage) {
      HttpResponse res{http::status::ok, 11};
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = std::string(garbageMetricsText());
      return res;
    }
    const EngineMetrics m = engine_.metrics();
    MetricsContext ctx;
    ctx.model = options_.model;
    ctx.wallSeconds = unixSeconds();
    ctx.startSeconds = startedUnix_;
    ctx.kvUsage = options_.kvUsage;
    ctx.pid = static_cast<int>(::getpid());
    noteLoraSeries(m, ctx.wallSeconds);
    ctx.loraSeries = loraSeries_;
    HttpResponse res{http::status::ok, 11};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = renderMetrics(options_.dialect, m, ctx);
    scheduleTick();
    return res;
  }

  // vLLM keeps one lora_requests_info series per label set it has ever reported, each
  // valued with when it was last current; scrapers must pick the newest.
  void noteLoraSeries(const EngineMetrics& m, double now) {
    std::string running, waiting;
    for (const auto& n : m.runningLoras) running += (running.empty() ? "" : ",") + n;
    for (const auto& n : m.waitingLoras) waiting += (waiting.empty() ? "" : ",") + n;
    for (auto& s : loraSeries_) {
      if (s.running == running && s.waiting == waiting) {
        s.timestamp = now;
        return;
      }
    }
    if (loraSeries_.size() >= 16) loraSeries_.erase(loraSeries_.begin());
    loraSeries_.push_back({running, waiting, now});
  }

  void crash() {
    crashed_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    tick_.cancel();
    pending_.clear();
    for (auto& weak : sessions_) {
      if (auto s = weak.lock()) {
        s->activeRequest = 0;
        s->abort();
      }
    }
    sessions_.clear();
  }

  ServerOptions options_;
  asio::io_context ioc_;
  Engine engine_;
  VirtualClock clock_;
  asio::steady_timer tick_;
  bool tickArmed_ = false;
  SteadyClock::time_point tickAt_{};
  tcp::acceptor acceptor_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> crashed_{false};
  std::mt19937_64 faultRng_;
  SteadyClock::time_point startedAt_;
  double startedUnix_;
  int64_t completionRequests_ = 0;
  uint64_t nextRequestId_ = 0;
  std::unordered_map<uint64_t, Pending> pending_;
  std::vector<std::weak_ptr<HttpSession>> sessions_;
  std::vector<LoraInfoSeries> loraSeries_;
  std::unique_ptr<KvEventPublisher> kvEvents_;  // used on the io thread only
};

SimServer::SimServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SimServer::~SimServer() = default;

common::Result<std::unique_ptr<SimServer>> SimServer::start(ServerOptions options) {
  if (!(options.timeScale > 0)) return common::Error{"time scale must be > 0"};
  if (std::string problem = options.engine.validate(); !problem.empty()) {
    return common::Error{problem};
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (auto r = impl->listen(); !r) return common::Error{r.error()};
  return std::unique_ptr<SimServer>(new SimServer(std::move(impl)));
}

int SimServer::port() const { return impl_->port(); }
int SimServer::kvEventsPort() const { return impl_->kvEventsPort(); }
bool SimServer::crashed() const { return impl_->crashed(); }

}  // namespace epp::sim

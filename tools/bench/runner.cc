#include "tools/bench/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "tools/bench/extproc_call.h"
#include "tools/bench/response_scanner.h"
#include "tools/bench/upstream.h"
#include "tools/bench/workload/workload.h"

namespace epp::bench {
namespace {

namespace asio = boost::asio;
namespace pb = extproc_pb;
using Clock = std::chrono::steady_clock;

constexpr size_t kErrorBodyBytes = 200;

double secondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string grpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    default:
      return std::to_string(static_cast<int>(code));
  }
}

class Runner;

// One request from arrival to its record.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Runner& runner, Request request);
  void start();

 private:
  enum class Phase { kRouting, kRequestBody, kUpstream, kDone };

  void startExtProc();
  void onExtProcMessage(pb::ProcessingResponse message);
  void onExtProcDone(const grpc::Status& status);
  void startUpstream(const HostPort& endpoint, std::string body);
  void onUpstreamHeaders(int status, const std::string& contentType);
  void onUpstreamBody(std::string chunk);
  void onUpstreamDone(const std::string& error);
  // Response bytes as the client receives them (eppd's echoes, or upstream when direct).
  void onResponseBytes(std::string_view chunk, bool last);
  // `code` is the error key of the record, `detail` what a person needs to know.
  void fail(std::string code, std::string detail, int status = 0);
  void complete();

  Runner& runner_;
  Request request_;
  RequestRecord record_;
  Clock::time_point start_;
  asio::steady_timer timeout_;
  Phase phase_ = Phase::kRouting;
  std::shared_ptr<ExtProcCall> call_;
  std::shared_ptr<UpstreamExchange> upstream_;
  std::string destination_;
  std::string upstreamBody_;
  std::string errorBody_;  // the start of a non-200 response body
  std::optional<ResponseScanner> scanner_;
  bool responseEnded_ = false;  // the whole response reached the client
  bool completed_ = false;
};

class Runner {
 public:
  Runner(const WorkloadSpec& spec, const RunOptions& options)
      : options_(options),
        workload_(spec),
        work_(asio::make_work_guard(io_)),
        pool_(io_, options.requestTimeout),
        arrivalTimer_(io_),
        endTimer_(io_),
        progressTimer_(io_) {
    if (!options.target.direct) {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
      channel_ = grpc::CreateCustomChannel(options.target.target.str(),
                                           grpc::InsecureChannelCredentials(), args);
      stub_ = pb::ExternalProcessor::NewStub(channel_);
    }
  }

  common::Result<Run> run() {
    if (options_.target.direct && options_.fleet.empty()) {
      return common::Error{"a direct run needs --fleet"};
    }
    const auto connectWithin =
        std::min<std::chrono::nanoseconds>(options_.requestTimeout, std::chrono::seconds(10));
    if (channel_ &&
        !channel_->WaitForConnected(
            std::chrono::system_clock::now() +
            std::chrono::duration_cast<std::chrono::system_clock::duration>(connectWithin))) {
      return common::Error{
          fmt::format("cannot connect to eppd's ext_proc at {}", options_.target.target.str())};
    }
    start_ = Clock::now();
    startedUnix_ =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const WorkloadSpec& spec = workload_.spec();
    if (spec.arrival.closedLoop()) {
      if (spec.duration) {
        endTimer_.expires_at(start_ + *spec.duration);
        endTimer_.async_wait([this](boost::system::error_code ec) {
          if (ec) return;
          generationDone_ = true;
          maybeFinish();
        });
      }
      for (uint32_t i = 0; i < spec.arrival.concurrency && !generationDone_; ++i) launchNext();
    } else {
      scheduleNext();
    }
    if (options_.progress) tickProgress();
    maybeFinish();
    io_.run();
    if (options_.progress) {
      drawProgress();
      *options_.progress << "\n" << std::flush;
    }
    Run out;
    out.name = options_.target.name;
    out.mode =
        options_.target.direct ? "direct round-robin" : "ext_proc " + options_.target.target.str();
    out.wallSeconds = lastEnd_ > firstStart_ ? secondsBetween(firstStart_, lastEnd_) : 0;
    out.maxSendLagSeconds = maxLag_;
    out.startedUnixSeconds = startedUnix_;
    std::sort(records_.begin(), records_.end(),
              [](const RequestRecord& a, const RequestRecord& b) { return a.index < b.index; });
    out.records = std::move(records_);
    return out;
  }

  asio::io_context& io() { return io_; }
  UpstreamPool& pool() { return pool_; }
  pb::ExternalProcessor::Stub& stub() { return *stub_; }
  const RunOptions& options() const { return options_; }
  Clock::time_point runStart() const { return start_; }
  const std::string& runName() const { return options_.target.name; }

  const HostPort& nextDirectEndpoint() {
    const HostPort& endpoint = options_.fleet[roundRobin_ % options_.fleet.size()];
    ++roundRobin_;
    return endpoint;
  }

  void onComplete(RequestRecord record) {
    lastEnd_ = std::max(lastEnd_, Clock::now());
    records_.push_back(std::move(record));
    --inFlight_;
    if (workload_.spec().arrival.closedLoop() && !generationDone_) launchNext();
    maybeFinish();
  }

 private:
  void launch(Request request) {
    if (firstStart_ == Clock::time_point{}) firstStart_ = Clock::now();
    ++inFlight_;
    std::make_shared<Session>(*this, std::move(request))->start();
  }

  void launchNext() {
    std::optional<Request> request = workload_.next();
    if (!request) {
      generationDone_ = true;
      return;
    }
    launch(std::move(*request));
  }

  void scheduleNext() {
    upcoming_ = workload_.next();
    if (!upcoming_) {
      generationDone_ = true;
      maybeFinish();
      return;
    }
    arrivalTimer_.expires_at(start_ + upcoming_->arrival);
    arrivalTimer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      maxLag_ = std::max(maxLag_, secondsBetween(start_ + upcoming_->arrival, Clock::now()));
      launch(std::move(*upcoming_));
      scheduleNext();
    });
  }

  void maybeFinish() {
    if (!generationDone_ || inFlight_ > 0 || finished_) return;
    finished_ = true;
    arrivalTimer_.cancel();
    endTimer_.cancel();
    progressTimer_.cancel();
    // run() returns once the cancelled timers' handlers have run.
    work_.reset();
  }

  void tickProgress() {
    drawProgress();
    progressTimer_.expires_after(std::chrono::milliseconds(200));
    progressTimer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) tickProgress();
    });
  }

  void drawProgress() {
    const WorkloadSpec& spec = workload_.spec();
    const double elapsed = secondsBetween(start_, Clock::now());
    double fraction = 0;
    if (spec.requests) {
      fraction = static_cast<double>(records_.size()) / static_cast<double>(*spec.requests);
    }
    if (spec.duration) {
      fraction =
          std::max(fraction, elapsed / std::chrono::duration<double>(*spec.duration).count());
    }
    if (finished_) fraction = 1;
    fraction = std::clamp(fraction, 0.0, 1.0);
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    *options_.progress << fmt::format("\r{:<12} [{}{}] {:3.0f}%  {} done, {} in flight, {:.1f}s ",
                                      options_.target.name, std::string(filled, '#'),
                                      std::string(kWidth - filled, '.'), fraction * 100,
                                      records_.size(), inFlight_, elapsed)
                       << std::flush;
  }

  const RunOptions& options_;
  Workload workload_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  UpstreamPool pool_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::ExternalProcessor::Stub> stub_;
  asio::steady_timer arrivalTimer_;
  asio::steady_timer endTimer_;
  asio::steady_timer progressTimer_;
  std::optional<Request> upcoming_;
  Clock::time_point start_;
  double startedUnix_ = 0;  // start_ on the wall clock, for lining records up with other logs
  Clock::time_point firstStart_{};
  Clock::time_point lastEnd_{};
  std::vector<RequestRecord> records_;
  size_t inFlight_ = 0;
  double maxLag_ = 0;
  size_t roundRobin_ = 0;
  bool generationDone_ = false;
  bool finished_ = false;
};

// ---- Session ------------------------------------------------------------------------

Session::Session(Runner& runner, Request request)
    : runner_(runner), request_(std::move(request)), timeout_(runner.io()) {
  record_.index = request_.index;
  record_.objective = request_.objective.value_or("");
  record_.id = runner_.runName() + "-" + request_.id;
  record_.inputTokens = request_.inputTokens;
}

void Session::start() {
  start_ = Clock::now();
  record_.start = secondsBetween(runner_.runStart(), start_);
  timeout_.expires_after(runner_.options().requestTimeout);
  timeout_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->fail("timeout", "no complete response within --timeout");
  });
  if (runner_.options().target.direct) {
    startUpstream(runner_.nextDirectEndpoint(), requestBody(request_));
  } else {
    startExtProc();
  }
}

void Session::startExtProc() {
  auto self = shared_from_this();
  ExtProcCall::Events events;
  events.onMessage = [self](pb::ProcessingResponse m) { self->onExtProcMessage(std::move(m)); };
  events.onDone = [self](const grpc::Status& status) { self->onExtProcDone(status); };
  call_ = std::make_shared<ExtProcCall>(runner_.io(), std::move(events));
  call_->start(runner_.stub(), std::chrono::system_clock::now() +
                                   std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                       runner_.options().requestTimeout));

  // Envoy streams the whole request without waiting for a reply.
  pb::ProcessingRequest headers = requestHeadersMessage(requestPath(request_), record_.id);
  if (request_.objective) {
    addHeader(*headers.mutable_request_headers()->mutable_headers(),
              "x-gateway-inference-objective", *request_.objective);
  }
  call_->write(std::move(headers));

  const std::string body = requestBody(request_);
  const size_t step = std::max<size_t>(runner_.options().chunkBytes, 1);
  size_t offset = 0;
  do {
    const size_t n = std::min(step, body.size() - offset);
    pb::ProcessingRequest chunk;
    chunk.mutable_request_body()->set_body(body.substr(offset, n));
    chunk.mutable_request_body()->set_end_of_stream(offset + n == body.size());
    call_->write(std::move(chunk));
    offset += n;
  } while (offset < body.size());
}

void Session::onExtProcMessage(pb::ProcessingResponse message) {
  if (completed_) return;
  switch (message.response_case()) {
    case pb::ProcessingResponse::kImmediateResponse: {
      const int status = static_cast<int>(message.immediate_response().status().code());
      return fail(std::to_string(status), message.immediate_response().body(), status);
    }
    case pb::ProcessingResponse::kRequestHeaders: {
      if (phase_ != Phase::kRouting) {
        return fail("extproc-protocol", "request_headers reply out of order");
      }
      for (const auto& option :
           message.request_headers().response().header_mutation().set_headers()) {
        if (option.header().key() == "x-gateway-destination-endpoint") {
          destination_ = option.header().raw_value();
        }
      }
      // A fallback list: the first entry is the primary.
      destination_ = destination_.substr(0, destination_.find(','));
      if (destination_.empty()) {
        return fail("no-destination", "routing reply without x-gateway-destination-endpoint");
      }
      record_.endpoint = destination_;
      phase_ = Phase::kRequestBody;
      return;
    }
    case pb::ProcessingResponse::kRequestBody: {
      if (phase_ != Phase::kRequestBody) {
        return fail("extproc-protocol", "request_body reply before the routing reply");
      }
      const auto& streamed = message.request_body().response().body_mutation().streamed_response();
      upstreamBody_ += streamed.body();
      if (!streamed.end_of_stream()) return;
      auto endpoint = parseHostPort(destination_);
      if (!endpoint) return fail("bad-destination", endpoint.error());
      phase_ = Phase::kUpstream;
      return startUpstream(*endpoint, std::move(upstreamBody_));
    }
    case pb::ProcessingResponse::kResponseHeaders:
      return;
    case pb::ProcessingResponse::kResponseBody: {
      const auto& streamed = message.response_body().response().body_mutation().streamed_response();
      return onResponseBytes(streamed.body(), streamed.end_of_stream());
    }
    default:
      return fail("extproc-protocol",
                  "unexpected reply " + std::to_string(message.response_case()));
  }
}

void Session::onExtProcDone(const grpc::Status& status) {
  if (!completed_ && record_.error.empty() && !responseEnded_) {
    fail(status.ok() ? "extproc-ended" : "grpc-" + grpcCode(status.error_code()),
         status.ok() ? "eppd ended the stream before the response" : status.error_message());
  }
  complete();
}

void Session::startUpstream(const HostPort& endpoint, std::string body) {
  record_.endpoint = endpoint.str();
  auto self = shared_from_this();
  UpstreamHandlers handlers;
  handlers.onHeaders = [self](int status, const std::string& type) {
    self->onUpstreamHeaders(status, type);
  };
  handlers.onBody = [self](std::string chunk) { self->onUpstreamBody(std::move(chunk)); };
  handlers.onDone = [self](const std::string& error) { self->onUpstreamDone(error); };
  upstream_ = runner_.pool().post(endpoint, std::string(requestPath(request_)), std::move(body),
                                  record_.id, std::move(handlers));
}

void Session::onUpstreamHeaders(int status, const std::string& contentType) {
  if (completed_) return;
  record_.status = status;
  if (status != 200) record_.error = std::to_string(status);
  scanner_.emplace(contentType.find("text/event-stream") != std::string::npos);
  if (!call_) return;
  pb::ProcessingRequest headers;
  pb::HeaderMap* map = headers.mutable_response_headers()->mutable_headers();
  addHeader(*map, ":status", std::to_string(status));
  if (!contentType.empty()) addHeader(*map, "content-type", contentType);
  call_->write(std::move(headers));
}

void Session::onUpstreamBody(std::string chunk) {
  if (completed_) return;
  if (!call_) return onResponseBytes(chunk, false);
  pb::ProcessingRequest message;
  message.mutable_response_body()->set_body(std::move(chunk));
  message.mutable_response_body()->set_end_of_stream(false);
  call_->write(std::move(message));
}

void Session::onUpstreamDone(const std::string& error) {
  if (completed_) return;
  if (!error.empty()) {
    if (error != "cancelled")
      fail(error.substr(0, error.find(':')) == "connect" ? "connect" : "upstream",
           record_.endpoint + ": " + error);
    return;
  }
  if (!call_) {
    onResponseBytes({}, true);
    return complete();
  }
  // Envoy ends the body with an empty end_of_stream message when the last data did not
  // carry it.
  pb::ProcessingRequest last;
  last.mutable_response_body()->set_end_of_stream(true);
  call_->write(std::move(last));
}

void Session::onResponseBytes(std::string_view chunk, bool last) {
  if (completed_ || responseEnded_) return;
  if (!scanner_) scanner_.emplace(true);
  // An error's body says why: keep its start.
  if (record_.status != 200 && errorBody_.size() < kErrorBodyBytes) {
    errorBody_.append(chunk.substr(0, kErrorBodyBytes - errorBody_.size()));
  }
  const bool first = scanner_->feed(chunk);
  const bool firstAtEnd = last && scanner_->finish();
  const Clock::time_point now = Clock::now();
  if ((first || firstAtEnd) && !record_.ttft) record_.ttft = secondsBetween(start_, now);
  if (!last) return;
  responseEnded_ = true;
  if (record_.status != 200) {
    record_.detail =
        fmt::format("{} answered HTTP {}: {}", record_.endpoint, record_.status, errorBody_);
  }
  record_.e2e = secondsBetween(start_, now);
  if (const auto& usage = scanner_->usage()) {
    record_.outputTokens = usage->completionTokens;
    if (usage->promptTokens > 0) record_.inputTokens = usage->promptTokens;
    record_.cachedTokens = usage->cachedTokens;
  } else {
    record_.outputTokens = scanner_->contentEvents();
  }
  if (call_) call_->close();
}

void Session::fail(std::string code, std::string detail, int status) {
  if (completed_) return;
  if (record_.error.empty()) {
    record_.error = std::move(code);
    record_.detail = std::move(detail);
    if (status != 0) record_.status = status;
  }
  record_.e2e = secondsBetween(start_, Clock::now());
  responseEnded_ = true;
  if (upstream_) upstream_->cancel();
  if (call_) {
    // An ImmediateResponse ends the exchange normally: half-close and let the server end.
    if (status != 0) {
      call_->close();
    } else {
      call_->cancel();
    }
    return;  // completes at onExtProcDone
  }
  complete();
}

void Session::complete() {
  if (completed_) return;
  completed_ = true;
  phase_ = Phase::kDone;
  timeout_.cancel();
  if (!responseEnded_) record_.e2e = secondsBetween(start_, Clock::now());
  // The call's and the exchange's handlers hold this session: break the cycles.
  call_.reset();
  upstream_.reset();
  runner_.onComplete(std::move(record_));
}

}  // namespace

common::Result<Run> runWorkload(const WorkloadSpec& spec, const RunOptions& options) {
  Runner runner(spec, options);
  return runner.run();
}

}  // namespace epp::bench

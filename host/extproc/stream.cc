#include "host/extproc/stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "host/common/clock.h"
#include "host/common/logging.h"
#include "host/extproc/request_id.h"

namespace epp::extproc {
namespace {

constexpr std::string_view kContentLength = "content-length";

double toMs(int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

const char* toString(StreamResult result) {
  switch (result) {
    case StreamResult::kRouted:
      return "routed";
    case StreamResult::kImmediateResponse:
      return "immediate_response";
    case StreamResult::kCancelled:
      return "cancelled";
    case StreamResult::kIncomplete:
      return "incomplete";
    case StreamResult::kProtocolError:
      return "protocol_error";
    case StreamResult::kObserved:
      return "observed";
  }
  return "unknown";
}

Stream* Stream::start(std::shared_ptr<StreamContext> context) {
  std::shared_ptr<Stream> stream(new Stream(std::move(context)));
  stream->self_ = stream;
  Stream* raw = stream.get();
  raw->StartRead(&raw->request_);
  return raw;
}

Stream::Stream(std::shared_ptr<StreamContext> context)
    : context_(std::move(context)),
      input_(std::make_shared<RequestInput>()),
      cancelledFlag_(input_->cancelled),
      startNs_(common::monotonicNowNs()) {
  context_->liveStreams.fetch_add(1, std::memory_order_relaxed);
}

Stream::~Stream() { context_->liveStreams.fetch_sub(1, std::memory_order_relaxed); }

// ---- read path ---------------------------------------------------------------------------

void Stream::OnReadDone(bool ok) {
  Lock lock(mu_);
  if (!ok || cancelled_) {
    // Half-close, cancel or reset: OnCancel tells the last two apart. A message whose read
    // completes after the cancel is dropped: nothing can be sent for it any more, and
    // routing it would run the pipeline and its plugins' hooks for a request that is gone.
    readsDone_ = true;
    advanceLocked();
    return;
  }
  bool more = onMessage(lock);
  if (more && !finishCalled_) {
    StartRead(&request_);
  } else {
    readsDone_ = true;
  }
  advanceLocked();
}

bool Stream::onMessage(Lock& lock) {
  if (request_.observability_mode()) silent_ = true;
  if (silent_) {
    // Envoy ignores every reply in this mode; keep only the id for the outcome log.
    if (request_.has_request_headers() && requestId_.empty()) {
      for (const pb::HeaderValue& header : request_.request_headers().headers().headers()) {
        if (header.key() == kRequestIdHeader) requestId_ = headerValue(header);
      }
    }
    return true;
  }
  switch (request_.request_case()) {
    case pb::ProcessingRequest::kRequestHeaders:
      return onRequestHeaders(lock);
    case pb::ProcessingRequest::kRequestBody:
      return onRequestBody(lock);
    case pb::ProcessingRequest::kRequestTrailers:
      return onRequestTrailers(lock);
    case pb::ProcessingRequest::kResponseHeaders:
      return onResponseHeaders(lock);
    case pb::ProcessingRequest::kResponseBody:
      return onResponseBody(lock);
    case pb::ProcessingRequest::kResponseTrailers:
      return onResponseTrailers(lock);
    case pb::ProcessingRequest::REQUEST_NOT_SET:
      break;
  }
  return violationLocked("message without request or response content");
}

bool Stream::onRequestHeaders(Lock& lock) {
  if (phase_ != Phase::kAwaitHeaders) return violationLocked("second request_headers");
  pb::HttpHeaders& message = *request_.mutable_request_headers();
  RequestInput& input = *input_;
  input.receivedNs = common::monotonicNowNs();
  if (headersOverLimitLocked(message.headers(), "headers")) return false;
  takeHeaders(*message.mutable_headers(), input.headers);

  std::string* id = nullptr;
  for (auto& [key, value] : input.headers) {
    if (key == kRequestIdHeader) {
      id = &value;
      break;
    }
  }
  if (id == nullptr || id->empty()) {
    generatedRequestId_ = true;
    input.requestId = newRequestId();
    if (id != nullptr) {
      *id = input.requestId;
    } else {
      input.headers.emplace_back(kRequestIdHeader, input.requestId);
    }
  } else {
    input.requestId = *id;
  }
  requestId_ = input.requestId;

  if (request_.has_metadata_context()) {
    input.hasSubsetHint = readSubsetHint(request_.metadata_context(), input.subsetHint);
  }
  if (message.end_of_stream()) {
    input.headersOnly = true;
    route(lock);
  } else {
    phase_ = Phase::kReceivingBody;
  }
  return true;
}

bool Stream::onRequestBody(Lock& lock) {
  if (phase_ != Phase::kReceivingBody) {
    return violationLocked(phase_ == Phase::kAwaitHeaders ? "request_body before request_headers"
                                                          : "request_body after the request ended");
  }
  pb::HttpBody& message = *request_.mutable_request_body();
  RequestInput& input = *input_;
  std::string& chunk = *message.mutable_body();
  const size_t limit = context_->options.maxRequestBodyBytes;
  if (input.body.size() + chunk.size() > limit) {
    common::logger()->warn("extproc request_id={} request body over {} bytes: 413", requestId_,
                           limit);
    requestBodyBytes_ = input.body.size() + chunk.size();
    limit_ = "body_bytes";
    rejectLocked(413, errorCodeForStatus(413),
                 "request body exceeds " + std::to_string(limit) + " bytes", {});
    return false;
  }
  if (input.body.empty()) {
    input.body = std::move(chunk);  // the common one-chunk body is never copied
  } else {
    input.body.append(chunk);
  }
  if (!input.hasSubsetHint && request_.has_metadata_context()) {
    input.hasSubsetHint = readSubsetHint(request_.metadata_context(), input.subsetHint);
  }
  if (message.end_of_stream()) route(lock);
  return true;
}

bool Stream::onRequestTrailers(Lock& lock) {
  if (phase_ != Phase::kReceivingBody) {
    return violationLocked(phase_ == Phase::kAwaitHeaders
                               ? "request_trailers before request_headers"
                               : "request_trailers after the request ended");
  }
  if (headersOverLimitLocked(request_.request_trailers().trailers(), "trailers")) return false;
  takeHeaders(*request_.mutable_request_trailers()->mutable_trailers(), input_->trailers);
  trailersSeen_ = true;
  route(lock);
  return true;
}

bool Stream::onResponseHeaders(Lock& lock) {
  if (phase_ != Phase::kRouted) {
    return violationLocked("response_headers before the request was routed");
  }
  if (responseHeadersSeen_) return violationLocked("second response_headers");
  responseHeadersSeen_ = true;
  pb::HttpHeaders& message = *request_.mutable_response_headers();
  HeaderList setHeaders;
  if (ResponseObserver* observer = observer_.get()) {
    HeaderList headers;
    takeHeaders(*message.mutable_headers(), headers);
    // Observers are plugin-facing code: never call them with the write lock held.
    lock.unlock();
    try {
      observer->onResponseHeaders(headers, setHeaders);
    } catch (const std::exception& e) {
      common::logger()->error("extproc request_id={} response observer threw: {}", requestId_,
                              e.what());
    }
    lock.lock();
  }
  if (message.end_of_stream()) responseComplete_ = true;
  queue_.push_back({responseHeadersResponse(setHeaders), nullptr});
  return true;
}

bool Stream::onResponseBody(Lock& lock) {
  if (phase_ != Phase::kRouted) {
    return violationLocked("response_body before the request was routed");
  }
  if (responseComplete_) return violationLocked("response_body after the response ended");
  pb::HttpBody& message = *request_.mutable_response_body();
  std::string chunk = std::move(*message.mutable_body());
  const bool endOfStream = message.end_of_stream();
  responseBodyBytes_ += chunk.size();
  if (ResponseObserver* observer = observer_.get()) {
    lock.unlock();
    try {
      observer->onResponseBody(chunk, endOfStream);
    } catch (const std::exception& e) {
      common::logger()->error("extproc request_id={} response observer threw: {}", requestId_,
                              e.what());
    }
    lock.lock();
  }
  if (endOfStream) responseComplete_ = true;
  // Echoed at once: SSE tokens must reach the client as they are produced.
  queue_.push_back({responseBodyResponse(std::move(chunk), endOfStream), nullptr});
  return true;
}

bool Stream::onResponseTrailers(Lock& /*lock*/) {
  if (phase_ != Phase::kRouted) {
    return violationLocked("response_trailers before the request was routed");
  }
  responseComplete_ = true;
  queue_.push_back({responseTrailersResponse(), nullptr});
  return true;
}

// ---- routing -----------------------------------------------------------------------------

void Stream::route(Lock& lock) {
  phase_ = Phase::kRouting;
  requestBodyBytes_ = input_->body.size();
  std::shared_ptr<RequestInput> input = input_;
  // A weak reference: a decision that outlives the stream must find nothing to write to.
  RouteCallback done = [weak = weak_from_this()](RoutingDecision decision) {
    if (std::shared_ptr<Stream> stream = weak.lock()) {
      stream->onDecision(std::move(decision));
    } else if (decision.observer) {
      decision.observer->onComplete(false);
    }
  };
  // The pipeline may answer inline, and its callback takes the lock.
  lock.unlock();
  try {
    context_->pipeline.route(std::move(input), std::move(done));
  } catch (const std::exception& e) {
    // route() must not throw; if it does, answer 500 unless it already answered.
    onDecision(RoutingDecision::error(500, "Internal", std::string("pipeline: ") + e.what()));
  } catch (...) {
    onDecision(RoutingDecision::error(500, "Internal", "pipeline: unknown exception"));
  }
  lock.lock();
}

void Stream::onDecision(RoutingDecision decision) {
  std::unique_ptr<ResponseObserver> orphan;
  {
    Lock lock(mu_);
    if (phase_ != Phase::kRouting || finishCalled_ || cancelled_ || writeFailed_) {
      // Late (the stream ended or was rejected) or a second call: nothing to send.
      orphan = std::move(decision.observer);
    } else {
      routeNs_ = common::monotonicNowNs() - input_->receivedNs;
      const int status = decision.httpStatus;
      if (status != 0) {
        orphan = std::move(decision.observer);
        if (status < 100 || status > 599) {
          rejectLocked(500, "Internal", "pipeline returned HTTP status " + std::to_string(status),
                       {});
        } else {
          rejectLocked(status,
                       decision.errorCode.empty() ? errorCodeForStatus(status)
                                                  : std::string_view(decision.errorCode),
                       decision.errorMessage, decision.errorHeaders);
        }
      } else if (decision.destination.empty()) {
        orphan = std::move(decision.observer);
        rejectLocked(500, "Internal", "pipeline returned no destination", {});
      } else {
        acceptRoute(decision);
      }
      advanceLocked();
    }
  }
  if (orphan) orphan->onComplete(false);
}

void Stream::acceptRoute(RoutingDecision& decision) {
  phase_ = Phase::kRouted;
  // A plugin may redirect the pick itself (data-parallel-profile-handler sends a rank's
  // requests to its pod's primary port): its destination header wins, in the metadata too,
  // instead of a second header contradicting the metadata.
  auto own = std::find_if(decision.setHeaders.begin(), decision.setHeaders.end(),
                          [](const auto& h) { return h.first == kDestinationHeader; });
  if (own != decision.setHeaders.end()) {
    if (!own->second.empty()) decision.destination = own->second;
    decision.setHeaders.erase(own);
  }
  destination_ = decision.destination;
  const bool headersOnly = input_->headersOnly;
  HeaderList extra;
  if (generatedRequestId_) extra.emplace_back(kRequestIdHeader, requestId_);
  const size_t bodySize = decision.bodyReplaced ? decision.body.size() : input_->body.size();
  if (!headersOnly && bodySize > 0 && context_->options.setContentLength &&
      findHeader(decision.setHeaders, kContentLength) == nullptr) {
    extra.emplace_back(kContentLength, std::to_string(bodySize));
  }
  queue_.push_back({routedHeadersResponse(decision, extra), nullptr});
  if (!headersOnly) {
    const size_t maxChunk = context_->options.maxChunkBytes;
    std::unique_ptr<BodyChunker> body =
        decision.bodyReplaced
            ? std::make_unique<BodyChunker>(std::move(decision.body), maxChunk, trailersSeen_)
            : std::make_unique<BodyChunker>(std::move(input_), maxChunk, trailersSeen_);
    queue_.push_back({pb::ProcessingResponse(), std::move(body)});
    if (trailersSeen_) queue_.push_back({requestTrailersResponse(), nullptr});
  }
  input_.reset();  // the pipeline holds its own reference if it still needs the input
  observer_ = std::move(decision.observer);
}

void Stream::rejectLocked(int httpStatus, std::string_view code, std::string_view message,
                          const HeaderList& headers) {
  if (phase_ <= Phase::kRouting) cancelledFlag_->cancel();
  phase_ = Phase::kRejected;
  httpStatus_ = httpStatus;
  errorCode_ = code;
  queue_.push_back({immediateResponse(httpStatus, code, message, headers), nullptr});
  // Envoy answers the client from the ImmediateResponse and is done with the stream.
  finishWhenDrained_ = true;
  finishStatus_ = grpc::Status::OK;
}

bool Stream::headersOverLimitLocked(const pb::HeaderMap& map, std::string_view what) {
  const StreamOptions& options = context_->options;
  size_t bytes = 0;
  const std::string* id = nullptr;
  for (const pb::HeaderValue& header : map.headers()) {
    bytes += header.key().size() + header.value().size() + header.raw_value().size();
    if (header.key() == kRequestIdHeader) id = &headerValue(header);
  }
  const size_t count = static_cast<size_t>(map.headers_size());
  const bool tooMany = count > options.maxRequestHeaders;
  if (!tooMany && bytes <= options.maxRequestHeaderBytes) return false;
  if (requestId_.empty()) {
    // Refused before the headers were read: the log and the client still get an id.
    requestId_ = id != nullptr && !id->empty() ? *id : newRequestId();
  }
  limit_ = tooMany ? "header_count" : "header_bytes";
  std::string message = tooMany ? fmt::format("request {}: {} entries, more than {}", what, count,
                                              options.maxRequestHeaders)
                                : fmt::format("request {}: {} bytes, more than {}", what, bytes,
                                              options.maxRequestHeaderBytes);
  common::logger()->warn("extproc request_id={} {}: 431", requestId_, message);
  rejectLocked(431, errorCodeForStatus(431), message,
               {{std::string(kRequestIdHeader), requestId_}});
  return true;
}

bool Stream::violationLocked(std::string_view what) {
  protocolError_ = true;
  common::logger()->warn("extproc request_id={} protocol violation: {}", requestId_, what);
  if (phase_ == Phase::kRouted) {
    // The routing reply is out: too late for an ImmediateResponse, fail the stream.
    phase_ = Phase::kRejected;
    finishWhenDrained_ = true;
    finishStatus_ = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "protocol violation: " + std::string(what));
  } else if (phase_ != Phase::kRejected) {
    rejectLocked(400, errorCodeForStatus(400), "protocol violation: " + std::string(what), {});
  }
  return false;
}

// ---- write path and end of stream --------------------------------------------------------

void Stream::OnWriteDone(bool ok) {
  Lock lock(mu_);
  writing_ = false;
  if (!ok) writeFailed_ = true;
  advanceLocked();
}

void Stream::OnCancel() {
  Lock lock(mu_);
  cancelled_ = true;
  if (phase_ <= Phase::kRouting) cancelledFlag_->cancel();
  advanceLocked();
}

// gRPC never runs a reaction inline in StartWrite/Finish (read and write tags are not
// inlineable; OnDone is dispatched), so issuing them under the lock cannot re-enter it. The
// lock is what guarantees no StartRead/StartWrite follows Finish.
void Stream::advanceLocked() {
  if (finishCalled_ || writing_) return;
  if (cancelled_ || writeFailed_) {
    queue_.clear();
    finishLocked(grpc::Status::CANCELLED);
    return;
  }
  if (!queue_.empty()) {
    Outgoing& front = queue_.front();
    if (front.body) {
      front.body->next(inflight_);
      if (front.body->done()) queue_.pop_front();
    } else {
      inflight_ = std::move(front.message);
      queue_.pop_front();
    }
    writing_ = true;
    StartWrite(&inflight_);
    return;
  }
  if (finishWhenDrained_) {
    finishLocked(finishStatus_);
    return;
  }
  // A half-closed stream whose decision is pending stays open until the replies are out.
  if (readsDone_ && phase_ != Phase::kRouting) finishLocked(grpc::Status::OK);
}

void Stream::finishLocked(const grpc::Status& status) {
  finishCalled_ = true;
  Finish(status);
}

void Stream::OnDone() {
  std::unique_ptr<ResponseObserver> observer;
  StreamOutcome outcome;
  {
    Lock lock(mu_);
    if (phase_ <= Phase::kRouting) cancelledFlag_->cancel();
    observer = std::move(observer_);
    queue_.clear();
    input_.reset();
    if (silent_) {
      outcome.result = StreamResult::kObserved;
    } else if (protocolError_) {
      outcome.result = StreamResult::kProtocolError;
    } else if (phase_ == Phase::kRejected) {
      outcome.result = StreamResult::kImmediateResponse;
    } else if (phase_ == Phase::kRouted) {
      outcome.result = StreamResult::kRouted;
    } else if (cancelled_ || writeFailed_) {
      outcome.result = StreamResult::kCancelled;
    } else {
      outcome.result = StreamResult::kIncomplete;
    }
    outcome.requestId = std::move(requestId_);
    outcome.httpStatus = httpStatus_;
    outcome.errorCode = std::move(errorCode_);
    outcome.limit = std::move(limit_);
    outcome.destination = std::move(destination_);
    outcome.requestBodyBytes = requestBodyBytes_;
    outcome.responseBodyBytes = responseBodyBytes_;
    outcome.routeNs = routeNs_;
    outcome.durationNs = common::monotonicNowNs() - startNs_;
    outcome.responseCompleted = responseComplete_;
  }
  if (observer) {
    try {
      observer->onComplete(outcome.responseCompleted);
    } catch (const std::exception& e) {
      common::logger()->error("extproc request_id={} response observer threw: {}",
                              outcome.requestId, e.what());
    }
    observer.reset();
  }
  logOutcome(outcome);
  if (context_->options.onStreamEnd) context_->options.onStreamEnd(outcome);
  // gRPC is done with the reactor; a pipeline callback may still hold it for a moment.
  std::shared_ptr<Stream> self = std::move(self_);
}

void Stream::logOutcome(const StreamOutcome& o) const {
  spdlog::level::level_enum level = spdlog::level::debug;
  switch (o.result) {
    case StreamResult::kRouted:
    case StreamResult::kObserved:
      level = spdlog::level::debug;
      break;
    case StreamResult::kImmediateResponse:
    case StreamResult::kCancelled:
    case StreamResult::kIncomplete:
      level = spdlog::level::info;
      break;
    case StreamResult::kProtocolError:
      level = spdlog::level::warn;
      break;
  }
  const auto& logger = common::logger();
  if (!logger->should_log(level)) return;
  logger->log(level,
              "extproc stream request_id={} result={} status={} code={} destination={} "
              "request_bytes={} response_bytes={} response_completed={} route_ms={:.3f} "
              "duration_ms={:.3f}",
              o.requestId, toString(o.result), o.httpStatus, o.errorCode, o.destination,
              o.requestBodyBytes, o.responseBodyBytes, o.responseCompleted, toMs(o.routeNs),
              toMs(o.durationNs));
}

}  // namespace epp::extproc

// File: host/extproc/stream.h
//
// One ext_proc stream (= one HTTP request) as a gRPC callback reactor: no thread waits on
// it. The conversation follows Envoy's FULL_DUPLEX_STREAMED mode as the reference EPP
// speaks it (extproc-abi-reload.md §1.3):
//
//   request_headers(eos) ─────────────────────────────▶ route ─▶ headers reply
//   request_headers ─▶ request_body… (eos) / trailers ─▶ route ─▶ headers reply,
//                                                         body chunks (≤ 62,000 B), trailers
//   response_headers ─▶ headers reply; response_body ─▶ echoed at once; response_trailers
//
// The pipeline's decision may arrive on any thread, any time later; the callback holds a
// weak reference, so a decision for a stream that has ended is dropped (its observer is told
// onComplete(false)). Writes are serialised through a queue: one StartWrite outstanding.
//
// Protocol violations (a body before headers, a second request_headers, request messages
// after the request ended, response messages before the request was routed, an empty
// message): while the request is unanswered, an ImmediateResponse 400 "inference error:
// BadRequest - protocol violation: …" and the stream is closed OK; once routing headers were
// sent, the stream is closed with INVALID_ARGUMENT (Envoy then applies its status_on_error).
// Either way the stream stops reading and the request's `cancelled` flag is set.
//
// observability_mode on any message: nothing is ever sent and nothing is routed; the
// stream reads until the gateway closes it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "host/extproc/headers.h"
#include "host/extproc/request_pipeline.h"
#include "host/extproc/responses.h"
#include "host/extproc/stream_options.h"

namespace epp::extproc {

// What every stream of one server shares. Streams hold it by shared_ptr: a stream kept
// alive by a late pipeline callback may outlive the server.
struct StreamContext {
  StreamContext(RequestPipeline& p, StreamOptions o) : pipeline(p), options(std::move(o)) {}
  RequestPipeline& pipeline;
  const StreamOptions options;
  std::atomic<int64_t> liveStreams{0};
};

class Stream final : public grpc::ServerBidiReactor<pb::ProcessingRequest, pb::ProcessingResponse>,
                     public std::enable_shared_from_this<Stream> {
 public:
  // Creates a stream that owns itself until gRPC calls OnDone, and starts reading.
  static Stream* start(std::shared_ptr<StreamContext> context);
  ~Stream() override;

  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  enum class Phase {
    kAwaitHeaders,   // nothing received yet
    kReceivingBody,  // headers received, collecting body chunks
    kRouting,        // pipeline.route() called, decision pending
    kRouted,         // routing reply queued: the response path is open
    kRejected,       // ImmediateResponse queued or stream error: closing
  };

  // A queued reply: a ready message, or a body cut into chunks as the writes go out.
  struct Outgoing {
    pb::ProcessingResponse message;
    std::unique_ptr<BodyChunker> body;
  };

  using Lock = std::unique_lock<std::mutex>;

  explicit Stream(std::shared_ptr<StreamContext> context);

  // Handlers run on the read path with `lock` held; they may release it around calls into
  // the pipeline or the observer. They return false to stop reading.
  bool onMessage(Lock& lock);
  bool onRequestHeaders(Lock& lock);
  bool onRequestBody(Lock& lock);
  bool onRequestTrailers(Lock& lock);
  bool onResponseHeaders(Lock& lock);
  bool onResponseBody(Lock& lock);
  bool onResponseTrailers(Lock& lock);

  void route(Lock& lock);
  void onDecision(RoutingDecision decision);
  void acceptRoute(RoutingDecision& decision);
  void rejectLocked(int httpStatus, std::string_view code, std::string_view message,
                    const HeaderList& headers);
  bool violationLocked(std::string_view what);
  // Answers 431 when `map` is over a header limit; `what` is "headers" or "trailers".
  bool headersOverLimitLocked(const pb::HeaderMap& map, std::string_view what);
  void markCancelled();

  // Starts the next write, or finishes the stream when nothing is left to do.
  void advanceLocked();
  void finishLocked(const grpc::Status& status);
  void logOutcome(const StreamOutcome& outcome) const;

  const std::shared_ptr<StreamContext> context_;
  std::shared_ptr<Stream> self_;  // gRPC's reference, dropped in OnDone

  // Read path only (one read outstanding at a time).
  pb::ProcessingRequest request_;

  std::mutex mu_;
  Phase phase_ = Phase::kAwaitHeaders;
  // Built by the read path until route(); then shared with the pipeline.
  std::shared_ptr<RequestInput> input_;
  std::shared_ptr<common::CancelSignal> cancelledFlag_;
  bool generatedRequestId_ = false;
  bool trailersSeen_ = false;
  std::string requestId_;
  std::string destination_;
  std::unique_ptr<ResponseObserver> observer_;

  std::deque<Outgoing> queue_;
  pb::ProcessingResponse inflight_;
  bool writing_ = false;

  bool silent_ = false;  // observability_mode
  bool readsDone_ = false;
  bool cancelled_ = false;
  bool writeFailed_ = false;
  bool finishWhenDrained_ = false;
  grpc::Status finishStatus_;
  bool finishCalled_ = false;
  bool protocolError_ = false;
  bool responseHeadersSeen_ = false;
  bool responseComplete_ = false;

  int httpStatus_ = 0;
  std::string errorCode_;
  std::string limit_;
  size_t requestBodyBytes_ = 0;
  size_t responseBodyBytes_ = 0;
  int64_t startNs_ = 0;
  int64_t routeNs_ = 0;
};

}  // namespace epp::extproc

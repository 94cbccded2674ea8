// File: tools/bench/extproc_call.h
//
// One ext_proc stream, Envoy's side, on the gRPC callback API: no thread per stream.
// Every reaction is posted to the io_context's thread, so the request logic above it is
// single-threaded. Writes queue and go out one at a time (gRPC allows one in flight);
// a read is always pending until the server ends the stream. A hold keeps OnDone back
// until close() (or the stream's end) says no more writes will be started.
#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>

#include "host/extproc/proto/ext_proc.grpc.pb.h"

namespace epp::bench {

namespace extproc_pb = ::envoy::service::ext_proc::v3;

class ExtProcCall
    : public grpc::ClientBidiReactor<extproc_pb::ProcessingRequest, extproc_pb::ProcessingResponse>,
      public std::enable_shared_from_this<ExtProcCall> {
 public:
  struct Events {
    std::function<void(extproc_pb::ProcessingResponse)> onMessage;
    // The server ended the stream (or it failed): no message follows.
    std::function<void()> onReadsEnded;
    std::function<void(const grpc::Status&)> onDone;
  };

  ExtProcCall(boost::asio::io_context& io, Events events);

  // io_context thread only, from here on.
  void start(extproc_pb::ExternalProcessor::Stub& stub,
             std::chrono::system_clock::time_point deadline);
  void write(extproc_pb::ProcessingRequest message);
  // Half-closes after the queued writes; then no more writes.
  void close();
  void cancel();

  // gRPC reactions (gRPC threads): each posts to the io_context.
  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  void pump();
  void releaseHold();

  boost::asio::io_context& io_;
  Events events_;
  grpc::ClientContext context_;
  std::shared_ptr<ExtProcCall> self_;  // alive until OnDone
  extproc_pb::ProcessingResponse incoming_;
  std::deque<extproc_pb::ProcessingRequest> queue_;
  bool writing_ = false;
  bool closing_ = false;  // close() asked: WritesDone after the queue
  bool closed_ = false;   // WritesDone started, or writes failed: nothing more goes out
  bool holding_ = false;
};

// Appends a header the way Envoy sends it (raw_value only).
void addHeader(extproc_pb::HeaderMap& map, std::string_view key, std::string_view value);

// The first message of a stream as Envoy sends it in FULL_DUPLEX_STREAMED mode: the protocol
// configuration and the request headers of a JSON POST to `path` carrying `requestId`.
// Callers add further headers to its request_headers().headers().
extproc_pb::ProcessingRequest requestHeadersMessage(std::string_view path,
                                                    std::string_view requestId);

}  // namespace epp::bench

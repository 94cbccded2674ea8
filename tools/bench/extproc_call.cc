#include "tools/bench/extproc_call.h"

#include <boost/asio/post.hpp>

namespace epp::bench {

void addHeader(extproc_pb::HeaderMap& map, std::string_view key, std::string_view value) {
  extproc_pb::HeaderValue* header = map.add_headers();
  header->set_key(std::string(key));
  header->set_raw_value(std::string(value));
}

extproc_pb::ProcessingRequest requestHeadersMessage(std::string_view path,
                                                    std::string_view requestId) {
  extproc_pb::ProcessingRequest headers;
  extproc_pb::ProtocolConfiguration* config = headers.mutable_protocol_config();
  config->set_request_body_mode(extproc_pb::ProcessingMode::FULL_DUPLEX_STREAMED);
  config->set_response_body_mode(extproc_pb::ProcessingMode::FULL_DUPLEX_STREAMED);
  extproc_pb::HeaderMap* map = headers.mutable_request_headers()->mutable_headers();
  addHeader(*map, ":authority", "eppd-bench");
  addHeader(*map, ":path", path);
  addHeader(*map, ":method", "POST");
  addHeader(*map, ":scheme", "http");
  addHeader(*map, "content-type", "application/json");
  addHeader(*map, "x-request-id", requestId);
  return headers;
}

ExtProcCall::ExtProcCall(boost::asio::io_context& io, Events events)
    : io_(io), events_(std::move(events)) {}

void ExtProcCall::start(extproc_pb::ExternalProcessor::Stub& stub,
                        std::chrono::system_clock::time_point deadline) {
  self_ = shared_from_this();
  context_.set_deadline(deadline);
  stub.async()->Process(&context_, this);
  AddHold();
  holding_ = true;
  StartRead(&incoming_);
  StartCall();
}

void ExtProcCall::write(extproc_pb::ProcessingRequest message) {
  if (closed_ || closing_) return;
  queue_.push_back(std::move(message));
  pump();
}

void ExtProcCall::close() {
  if (closing_ || closed_) return;
  closing_ = true;
  pump();
}

void ExtProcCall::cancel() {
  context_.TryCancel();
  queue_.clear();
  closed_ = true;
  if (!writing_) releaseHold();
}

void ExtProcCall::pump() {
  if (writing_ || closed_) return;
  if (!queue_.empty()) {
    writing_ = true;
    StartWrite(&queue_.front());
    return;
  }
  if (closing_) {
    closed_ = true;
    StartWritesDone();
    releaseHold();
  }
}

void ExtProcCall::releaseHold() {
  if (!holding_) return;
  holding_ = false;
  RemoveHold();
}

void ExtProcCall::OnWriteDone(bool ok) {
  boost::asio::post(io_, [this, ok] {
    writing_ = false;
    if (!queue_.empty()) queue_.pop_front();
    if (!ok) {
      // The stream is broken; its end arrives through the reads.
      queue_.clear();
      closed_ = true;
      releaseHold();
      return;
    }
    pump();
    if (closed_ && !writing_) releaseHold();
  });
}

void ExtProcCall::OnWritesDoneDone(bool) {}

void ExtProcCall::OnReadDone(bool ok) {
  if (!ok) {
    boost::asio::post(io_, [this] {
      if (events_.onReadsEnded) events_.onReadsEnded();
      // Nothing the server reads any more: stop writing, let OnDone come.
      queue_.clear();
      closed_ = true;
      if (!writing_) releaseHold();
    });
    return;
  }
  boost::asio::post(io_, [this, message = std::move(incoming_)]() mutable {
    if (events_.onMessage) events_.onMessage(std::move(message));
  });
  incoming_.Clear();
  StartRead(&incoming_);
}

void ExtProcCall::OnDone(const grpc::Status& status) {
  boost::asio::post(io_, [this, status, self = std::move(self_)] {
    events_.onDone(status);
    // The owner's handlers usually hold the owner, which holds this call: dropping them
    // breaks that cycle (LeakSanitizer found every stream of a run kept alive by it).
    events_ = Events{};
    // `self` goes with this handler: the reactor outlives every reaction.
  });
}

}  // namespace epp::bench

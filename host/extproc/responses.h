// File: host/extproc/responses.h
//
// The ProcessingResponse messages eppd sends, built exactly as Envoy and the reference EPP
// expect them (extproc-abi-reload.md §1.3).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "host/extproc/headers.h"
#include "host/extproc/request_pipeline.h"

namespace epp::extproc {

// "BadRequest" for 400 and so on: the code word of "inference error: <Code> - <message>"
// when the pipeline left it empty.
const char* errorCodeForStatus(int httpStatus);

// The routing reply to request headers: clear_route_cache, the destination header
// (then `decision.setHeaders`, then `extra` headers such as a generated x-request-id) and
// dynamic_metadata envoy.lb with the same destination.
pb::ProcessingResponse routedHeadersResponse(const RoutingDecision& decision,
                                             const HeaderList& extra);

// ImmediateResponse{status, body "inference error: <code> - <message>", headers, details}.
pb::ProcessingResponse immediateResponse(int httpStatus, std::string_view code,
                                         std::string_view message, const HeaderList& headers);

pb::ProcessingResponse requestTrailersResponse();
pb::ProcessingResponse responseHeadersResponse(const HeaderList& setHeaders);
pb::ProcessingResponse responseBodyResponse(std::string chunk, bool endOfStream);
pb::ProcessingResponse responseTrailersResponse();

// Cuts a request body into streamed_response chunks of at most `maxChunk` bytes, one per
// next() call, so a large body never exists twice as a batch of messages. An empty body
// yields one empty chunk. The last chunk carries end_of_stream unless trailers follow.
class BodyChunker {
 public:
  // Sends `owned`.
  BodyChunker(std::string owned, size_t maxChunk, bool trailersFollow);
  // Sends `input->body`, which must not change while chunks are produced; `input` is kept
  // alive. When this is the last reference to `input`, the body is moved rather than copied.
  BodyChunker(std::shared_ptr<RequestInput> input, size_t maxChunk, bool trailersFollow);
  // `data_` may point into `owned_`: the object must stay where it was built.
  BodyChunker(const BodyChunker&) = delete;
  BodyChunker& operator=(const BodyChunker&) = delete;

  bool done() const { return done_; }
  // Fills `out` with the next chunk. Precondition: !done().
  void next(pb::ProcessingResponse& out);

 private:
  std::string owned_;
  std::shared_ptr<RequestInput> input_;
  std::string_view data_;
  size_t offset_ = 0;
  size_t maxChunk_;
  bool trailersFollow_;
  bool done_ = false;
};

}  // namespace epp::extproc

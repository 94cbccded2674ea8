// File: host/extproc/stream_options.h
//
// Per-server settings of the ext_proc streams, and the outcome record each stream hands to
// the metrics hook when it ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace epp::extproc {

// How a stream ended, from the gateway's point of view.
enum class StreamResult {
  kRouted,             // destination sent
  kImmediateResponse,  // an error status sent as ImmediateResponse (pipeline or transport)
  kCancelled,          // the gateway cancelled or reset before an answer was complete
  kIncomplete,         // the gateway half-closed before the request was complete
  kProtocolError,      // the gateway broke the conversation (see stream.h)
  kObserved,           // observability_mode: nothing was sent
};

const char* toString(StreamResult result);

struct StreamOutcome {
  StreamResult result = StreamResult::kIncomplete;
  std::string requestId;
  // The ImmediateResponse status, 0 otherwise.
  int httpStatus = 0;
  std::string errorCode;
  // The request limit that refused the request ("body_bytes", "header_count",
  // "header_bytes"), empty otherwise.
  std::string limit;
  std::string destination;
  size_t requestBodyBytes = 0;
  size_t responseBodyBytes = 0;
  // From request headers to the routing decision, and to the end of the stream.
  int64_t routeNs = 0;
  int64_t durationNs = 0;
  // True when the response path reached end of stream before the stream ended.
  bool responseCompleted = false;
};

struct StreamOptions {
  // Request bodies above this are answered with 413 (GIE buffers without a limit; a bound
  // keeps one client from taking the process's memory). Checked before each chunk is
  // appended, so no more than this is ever buffered.
  size_t maxRequestBodyBytes = 32u << 20;
  // Request headers (or trailers) with more entries, or more bytes of names and values in
  // all, are answered with 431 before they are copied.
  size_t maxRequestHeaders = 200;
  size_t maxRequestHeaderBytes = 96u << 10;
  // Largest body chunk sent back to Envoy; GIE's BodyByteLimit.
  size_t maxChunkBytes = 62000;
  // GIE re-sets content-length to the size of the body it sends (Envoy strips it in
  // FULL_DUPLEX_STREAMED); off leaves the upstream request chunked.
  bool setContentLength = true;
  // Called once per stream when it ends, on a gRPC thread; must be cheap and thread-safe.
  // The place for request counters and duration histograms.
  std::function<void(const StreamOutcome&)> onStreamEnd;
};

}  // namespace epp::extproc

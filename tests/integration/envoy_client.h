// File: tests/integration/envoy_client.h
//
// A gRPC client that speaks ext_proc the way Envoy does with both body modes
// FULL_DUPLEX_STREAMED and trailers SEND (extproc-abi-reload.md §1.3): protocol_config on the
// first message, header values in raw_value, the body streamed in chunks without waiting
// for replies, then trailers. It then reads the request-path replies and checks their
// order (headers → body chunks → trailers) and shape, reassembles the upstream body, and
// optionally plays the response path (headers, body chunks such as SSE, trailers),
// collecting the echoes. Anything Envoy would reject or misread is reported in
// `violations`, so a test asserts `result.violations` is empty.
//
// Synchronous: one call = one stream on the calling thread. Many threads may share one
// EnvoyClient (and its channel).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/extproc/proto/ext_proc.grpc.pb.h"

namespace epp::testing {

namespace extproc_pb = ::envoy::service::ext_proc::v3;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct RequestResult;

// What Envoy's ext_proc cluster with a TLS transport socket holds: the CA bundle it trusts
// and, for mTLS, its client certificate and key (PEM files, read when the channel is made).
struct TlsClientFiles {
  std::string caFile;
  std::string certFile;  // empty: no client certificate
  std::string keyFile;
};

// A channel over TLS (the server's name checked against 127.0.0.1 or localhost in its
// certificate) with a connection of its own: no subchannel is shared with earlier channels,
// so each new channel makes a new handshake.
std::shared_ptr<grpc::Channel> tlsChannel(const std::string& target, const TlsClientFiles& files);

// The upstream's answer, played after the request was routed.
struct ResponseSpec {
  int status = 200;
  HeaderList headers;  // besides ":status"
  // Each entry is one response_body message; the last carries end_of_stream unless
  // trailers follow. No chunks and no trailers: the headers carry end_of_stream.
  std::vector<std::string> bodyChunks;
  bool sendTrailers = false;
  HeaderList trailers;
  // Wait for each chunk's echo before sending the next: proves echoes are not held back.
  // Off: send everything, then read the echoes (as Envoy does).
  bool lockstep = true;
};

struct RequestSpec {
  std::string method = "POST";
  std::string path = "/v1/chat/completions";
  std::string authority = "gateway.local";
  std::string scheme = "http";
  HeaderList headers;  // after the pseudo-headers
  std::string body;
  // The request headers carry end_of_stream (a GET): `body` is not sent.
  bool headersOnly = false;
  size_t chunkBytes = 64 * 1024;
  bool sendTrailers = false;
  HeaderList trailers;
  // metadata_context.filter_metadata["envoy.lb.subset_hint"]
  // ["x-gateway-destination-endpoint-subset"], on every request-path message.
  std::optional<std::vector<std::string>> subsetHint;
  bool subsetHintAsString = false;  // one comma-joined string instead of a list value
  bool observabilityMode = false;
  // Send this many body chunks, then cancel the stream (a client gone mid-upload).
  std::optional<size_t> cancelAfterChunks;
  // Played only when the request is routed.
  std::optional<ResponseSpec> response;
  // Instead of `response`: called once the request is routed, with what Envoy would send
  // upstream (destination, setHeaders, upstreamBody); the answer it returns is played as
  // the upstream's. A test forwards the request to a real model server this way.
  std::function<std::optional<ResponseSpec>(const RequestResult&)> upstream;
  // Largest body chunk the server may send back (GIE's BodyByteLimit).
  size_t maxChunkBytes = 62000;
  std::chrono::milliseconds timeout{10000};
};

struct RequestResult {
  grpc::Status status;  // the stream's final gRPC status
  size_t messagesReceived = 0;
  bool cancelled = false;  // cancelAfterChunks was used

  // ImmediateResponse, when the server answered with one.
  bool immediate = false;
  int immediateStatus = 0;
  std::string immediateBody;
  HeaderList immediateHeaders;
  std::string immediateDetails;

  // The routing reply to request headers.
  bool routed = false;
  std::string destination;          // x-gateway-destination-endpoint, from raw_value
  std::string metadataDestination;  // dynamic_metadata envoy.lb x-gateway-destination-endpoint
  HeaderList setHeaders;            // every set header, in order
  HeaderList dynamicMetadataLb;     // every string field of the envoy.lb namespace
  bool clearRouteCache = false;

  // Body and trailers sent upstream.
  std::string upstreamBody;
  size_t bodyChunks = 0;
  size_t maxChunkBytes = 0;
  bool trailersReplied = false;

  // Response path.
  bool responseHeadersReplied = false;
  HeaderList responseSetHeaders;
  std::vector<std::string> echoedResponseChunks;
  bool responseTrailersReplied = false;

  // From the first message sent to the reply to request headers (or the ImmediateResponse).
  std::chrono::nanoseconds timeToDecision{0};

  std::vector<std::string> violations;

  // The value of a set header of the routing reply, or nullptr.
  const std::string* setHeader(std::string_view key) const;
};

// One raw stream, for tests that script messages themselves (protocol violations, timing).
class EnvoyStream {
 public:
  EnvoyStream(extproc_pb::ExternalProcessor::Stub& stub, std::chrono::milliseconds timeout);
  bool send(const extproc_pb::ProcessingRequest& message);
  // False when the stream has ended.
  bool read(extproc_pb::ProcessingResponse& message);
  void writesDone();
  void cancel();
  grpc::Status finish();

 private:
  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<extproc_pb::ProcessingRequest, extproc_pb::ProcessingResponse>>
      stream_;
};

class EnvoyClient {
 public:
  explicit EnvoyClient(const std::string& target);  // "host:port", plaintext
  EnvoyClient(const std::string& target, const TlsClientFiles& tls);
  explicit EnvoyClient(std::shared_ptr<grpc::Channel> channel);

  RequestResult process(const RequestSpec& spec);
  std::unique_ptr<EnvoyStream> open(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Messages as Envoy builds them, for scripted streams.
  static extproc_pb::ProcessingRequest requestHeadersMessage(const RequestSpec& spec);
  static extproc_pb::ProcessingRequest requestBodyMessage(std::string chunk, bool endOfStream);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<extproc_pb::ExternalProcessor::Stub> stub_;
};

}  // namespace epp::testing

#include "tests/integration/envoy_client.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

namespace epp::testing {
namespace {

namespace pb = extproc_pb;
using Clock = std::chrono::steady_clock;

void addHeader(pb::HeaderMap& map, std::string_view key, std::string_view value) {
  pb::HeaderValue* header = map.add_headers();
  header->set_key(std::string(key));
  header->set_raw_value(std::string(value));  // Envoy sends raw_value only
}

// What Envoy puts on every message of a stream configured like the spec.
void decorate(const RequestSpec& spec, pb::ProcessingRequest& message) {
  if (spec.observabilityMode) message.set_observability_mode(true);
  if (!spec.subsetHint) return;
  google::protobuf::Struct& ns =
      (*message.mutable_metadata_context()->mutable_filter_metadata())["envoy.lb.subset_hint"];
  google::protobuf::Value& value = (*ns.mutable_fields())["x-gateway-destination-endpoint-subset"];
  if (spec.subsetHintAsString) {
    std::string joined;
    for (const std::string& item : *spec.subsetHint) {
      if (!joined.empty()) joined += ',';
      joined += item;
    }
    value.set_string_value(joined);
  } else {
    google::protobuf::ListValue* list = value.mutable_list_value();
    for (const std::string& item : *spec.subsetHint) list->add_values()->set_string_value(item);
  }
}

// Reads set_headers as Envoy does: raw_value only; `value` is a protocol error for Envoy
// with send_header_raw_value on (the default).
void readSetHeaders(const pb::HeaderMutation& mutation, HeaderList& out,
                    std::vector<std::string>& violations, std::string_view where) {
  for (const pb::HeaderValueOption& option : mutation.set_headers()) {
    const pb::HeaderValue& header = option.header();
    if (!header.value().empty()) {
      violations.push_back(std::string(where) + ": header '" + header.key() +
                           "' uses value instead of raw_value");
    }
    if (header.key() == "x-gateway-destination-endpoint" &&
        option.append_action() != pb::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD) {
      violations.push_back(std::string(where) +
                           ": destination header not OVERWRITE_IF_EXISTS_OR_ADD");
    }
    out.emplace_back(header.key(), header.raw_value());
  }
}

const char* caseName(const pb::ProcessingResponse& reply) {
  switch (reply.response_case()) {
    case pb::ProcessingResponse::kRequestHeaders:
      return "request_headers";
    case pb::ProcessingResponse::kResponseHeaders:
      return "response_headers";
    case pb::ProcessingResponse::kRequestBody:
      return "request_body";
    case pb::ProcessingResponse::kResponseBody:
      return "response_body";
    case pb::ProcessingResponse::kRequestTrailers:
      return "request_trailers";
    case pb::ProcessingResponse::kResponseTrailers:
      return "response_trailers";
    case pb::ProcessingResponse::kImmediateResponse:
      return "immediate_response";
    case pb::ProcessingResponse::kStreamedImmediateResponse:
      return "streamed_immediate_response";
    case pb::ProcessingResponse::RESPONSE_NOT_SET:
      return "empty";
  }
  return "unknown";
}

void recordImmediate(const pb::ImmediateResponse& reply, RequestResult& result) {
  result.immediate = true;
  result.immediateStatus = reply.status().code();
  result.immediateBody = reply.body();
  result.immediateDetails = reply.details();
  readSetHeaders(reply.headers(), result.immediateHeaders, result.violations, "immediate_response");
}

void recordRouting(const pb::ProcessingResponse& reply, RequestResult& result) {
  const pb::CommonResponse& common = reply.request_headers().response();
  result.routed = true;
  result.clearRouteCache = common.clear_route_cache();
  readSetHeaders(common.header_mutation(), result.setHeaders, result.violations,
                 "request_headers reply");
  if (const std::string* destination = result.setHeader("x-gateway-destination-endpoint")) {
    result.destination = *destination;
  }
  auto ns = reply.dynamic_metadata().fields().find("envoy.lb");
  if (ns != reply.dynamic_metadata().fields().end()) {
    for (const auto& [key, value] : ns->second.struct_value().fields()) {
      if (value.kind_case() != google::protobuf::Value::kStringValue) continue;
      result.dynamicMetadataLb.emplace_back(key, value.string_value());
      if (key == "x-gateway-destination-endpoint")
        result.metadataDestination = value.string_value();
    }
  }
  if (result.destination != result.metadataDestination) {
    result.violations.push_back("destination header '" + result.destination +
                                "' differs from envoy.lb metadata '" + result.metadataDestination +
                                "'");
  }
}

// The streamed_response of a body reply, or null with a violation: it is mandatory in
// FULL_DUPLEX_STREAMED.
const pb::StreamedBodyResponse* streamedBody(const pb::BodyResponse& reply, RequestResult& result,
                                             std::string_view where) {
  const pb::BodyMutation& mutation = reply.response().body_mutation();
  if (!mutation.has_streamed_response()) {
    result.violations.push_back(std::string(where) + " reply without streamed_response");
    return nullptr;
  }
  return &mutation.streamed_response();
}

// Reads the replies to the request path until they are complete; false when the stream
// ended or answered with an ImmediateResponse.
bool readRequestReplies(EnvoyStream& stream, const RequestSpec& spec, Clock::time_point start,
                        RequestResult& result) {
  enum class Expect { kHeaders, kBody, kDone } expect = Expect::kHeaders;
  pb::ProcessingResponse reply;
  while (expect != Expect::kDone) {
    if (!stream.read(reply)) {
      result.violations.push_back("stream ended before the request-path replies were complete");
      return false;
    }
    ++result.messagesReceived;
    switch (reply.response_case()) {
      case pb::ProcessingResponse::kImmediateResponse:
        result.timeToDecision = Clock::now() - start;
        if (expect != Expect::kHeaders) {
          result.violations.push_back("immediate_response after the routing reply");
        }
        recordImmediate(reply.immediate_response(), result);
        return false;
      case pb::ProcessingResponse::kRequestHeaders:
        if (expect != Expect::kHeaders) {
          result.violations.push_back("request_headers reply out of order");
        }
        result.timeToDecision = Clock::now() - start;
        recordRouting(reply, result);
        expect = spec.headersOnly ? Expect::kDone : Expect::kBody;
        break;
      case pb::ProcessingResponse::kRequestBody: {
        if (expect != Expect::kBody) {
          result.violations.push_back("request_body reply before the request_headers reply");
        }
        const pb::StreamedBodyResponse* body =
            streamedBody(reply.request_body(), result, "request_body");
        if (body == nullptr) break;
        ++result.bodyChunks;
        result.maxChunkBytes = std::max(result.maxChunkBytes, body->body().size());
        if (body->body().size() > spec.maxChunkBytes) {
          result.violations.push_back("body chunk of " + std::to_string(body->body().size()) +
                                      " bytes");
        }
        result.upstreamBody += body->body();
        if (body->end_of_stream()) {
          if (spec.sendTrailers) {
            result.violations.push_back("end_of_stream on a body chunk although trailers follow");
          }
          expect = Expect::kDone;
        }
        break;
      }
      case pb::ProcessingResponse::kRequestTrailers:
        if (expect != Expect::kBody || !spec.sendTrailers) {
          result.violations.push_back("unexpected request_trailers reply");
        }
        result.trailersReplied = true;
        expect = Expect::kDone;
        break;
      default:
        result.violations.push_back(std::string("unexpected ") + caseName(reply) +
                                    " on the request path");
        break;
    }
  }
  return true;
}

void playResponse(EnvoyStream& stream, const ResponseSpec& response, RequestResult& result) {
  pb::ProcessingResponse reply;
  auto expectReply = [&](pb::ProcessingResponse::ResponseCase wanted, const char* name) {
    if (!stream.read(reply)) {
      result.violations.push_back(std::string("stream ended waiting for the ") + name + " reply");
      return false;
    }
    ++result.messagesReceived;
    if (reply.response_case() != wanted) {
      result.violations.push_back(std::string("expected a ") + name + " reply, got " +
                                  caseName(reply));
      return false;
    }
    return true;
  };

  pb::ProcessingRequest headers;
  pb::HttpHeaders* message = headers.mutable_response_headers();
  addHeader(*message->mutable_headers(), ":status", std::to_string(response.status));
  for (const auto& [key, value] : response.headers) {
    addHeader(*message->mutable_headers(), key, value);
  }
  message->set_end_of_stream(response.bodyChunks.empty() && !response.sendTrailers);
  if (!stream.send(headers)) {
    result.violations.push_back("stream closed before response_headers");
    return;
  }
  if (!expectReply(pb::ProcessingResponse::kResponseHeaders, "response_headers")) return;
  result.responseHeadersReplied = true;
  readSetHeaders(reply.response_headers().response().header_mutation(), result.responseSetHeaders,
                 result.violations, "response_headers reply");

  auto readEcho = [&](bool expectEos) {
    if (!expectReply(pb::ProcessingResponse::kResponseBody, "response_body")) return false;
    const pb::StreamedBodyResponse* body =
        streamedBody(reply.response_body(), result, "response_body");
    if (body == nullptr) return false;
    if (body->end_of_stream() != expectEos) {
      result.violations.push_back("response_body echo with end_of_stream " +
                                  std::string(body->end_of_stream() ? "true" : "false"));
    }
    result.echoedResponseChunks.push_back(body->body());
    return true;
  };
  const size_t n = response.bodyChunks.size();
  for (size_t i = 0; i < n; ++i) {
    const bool eos = i + 1 == n && !response.sendTrailers;
    pb::ProcessingRequest chunk;
    chunk.mutable_response_body()->set_body(response.bodyChunks[i]);
    chunk.mutable_response_body()->set_end_of_stream(eos);
    if (!stream.send(chunk)) {
      result.violations.push_back("stream closed while sending the response body");
      return;
    }
    if (response.lockstep && !readEcho(eos)) return;
  }
  if (!response.lockstep) {
    for (size_t i = 0; i < n; ++i) {
      if (!readEcho(i + 1 == n && !response.sendTrailers)) return;
    }
  }
  if (response.sendTrailers) {
    pb::ProcessingRequest trailers;
    pb::HeaderMap* map = trailers.mutable_response_trailers()->mutable_trailers();
    for (const auto& [key, value] : response.trailers) addHeader(*map, key, value);
    if (!stream.send(trailers)) {
      result.violations.push_back("stream closed before response_trailers");
      return;
    }
    if (!expectReply(pb::ProcessingResponse::kResponseTrailers, "response_trailers")) return;
    result.responseTrailersReplied = true;
  }
}

// Half-closes and reads to the end; any further reply is a violation.
void closeStream(EnvoyStream& stream, RequestResult& result, std::string_view after) {
  stream.writesDone();
  pb::ProcessingResponse reply;
  while (stream.read(reply)) {
    ++result.messagesReceived;
    result.violations.push_back(std::string("unexpected ") + caseName(reply) + " after " +
                                std::string(after));
  }
  result.status = stream.finish();
}

}  // namespace

const std::string* RequestResult::setHeader(std::string_view key) const {
  for (const auto& [name, value] : setHeaders) {
    if (name == key) return &value;
  }
  return nullptr;
}

// ---- EnvoyStream ---------------------------------------------------------------------

EnvoyStream::EnvoyStream(pb::ExternalProcessor::Stub& stub, std::chrono::milliseconds timeout) {
  context_.set_deadline(std::chrono::system_clock::now() + timeout);
  stream_ = stub.Process(&context_);
}

bool EnvoyStream::send(const pb::ProcessingRequest& message) { return stream_->Write(message); }

bool EnvoyStream::read(pb::ProcessingResponse& message) { return stream_->Read(&message); }

void EnvoyStream::writesDone() { stream_->WritesDone(); }

void EnvoyStream::cancel() { context_.TryCancel(); }

grpc::Status EnvoyStream::finish() { return stream_->Finish(); }

// ---- EnvoyClient ---------------------------------------------------------------------

EnvoyClient::EnvoyClient(const std::string& target)
    : EnvoyClient(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())) {}

namespace {

std::string slurpFile(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::shared_ptr<grpc::Channel> tlsChannel(const std::string& target, const TlsClientFiles& files) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = slurpFile(files.caFile);
  options.pem_cert_chain = slurpFile(files.certFile);
  options.pem_private_key = slurpFile(files.keyFile);
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(options), args);
}

EnvoyClient::EnvoyClient(const std::string& target, const TlsClientFiles& tls)
    : EnvoyClient(tlsChannel(target, tls)) {}

EnvoyClient::EnvoyClient(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)), stub_(pb::ExternalProcessor::NewStub(channel_)) {}

std::unique_ptr<EnvoyStream> EnvoyClient::open(std::chrono::milliseconds timeout) {
  return std::make_unique<EnvoyStream>(*stub_, timeout);
}

pb::ProcessingRequest EnvoyClient::requestHeadersMessage(const RequestSpec& spec) {
  pb::ProcessingRequest message;
  pb::ProtocolConfiguration* config = message.mutable_protocol_config();
  config->set_request_body_mode(pb::ProcessingMode::FULL_DUPLEX_STREAMED);
  config->set_response_body_mode(pb::ProcessingMode::FULL_DUPLEX_STREAMED);
  pb::HttpHeaders* headers = message.mutable_request_headers();
  pb::HeaderMap* map = headers->mutable_headers();
  addHeader(*map, ":authority", spec.authority);
  addHeader(*map, ":path", spec.path);
  addHeader(*map, ":method", spec.method);
  addHeader(*map, ":scheme", spec.scheme);
  for (const auto& [key, value] : spec.headers) addHeader(*map, key, value);
  headers->set_end_of_stream(spec.headersOnly);
  decorate(spec, message);
  return message;
}

pb::ProcessingRequest EnvoyClient::requestBodyMessage(std::string chunk, bool endOfStream) {
  pb::ProcessingRequest message;
  message.mutable_request_body()->set_body(std::move(chunk));
  message.mutable_request_body()->set_end_of_stream(endOfStream);
  return message;
}

RequestResult EnvoyClient::process(const RequestSpec& spec) {
  RequestResult result;
  EnvoyStream stream(*stub_, spec.timeout);
  const Clock::time_point start = Clock::now();

  // Envoy streams the whole request without waiting for any reply.
  bool writable = stream.send(requestHeadersMessage(spec));
  size_t chunksSent = 0;
  auto sendChunk = [&](std::string chunk, bool eos) {
    pb::ProcessingRequest message = requestBodyMessage(std::move(chunk), eos);
    decorate(spec, message);
    writable = writable && stream.send(message);
    ++chunksSent;
  };
  if (!spec.headersOnly) {
    const size_t size = spec.body.size();
    const size_t chunkBytes = std::max<size_t>(spec.chunkBytes, 1);
    if (size == 0 && !spec.sendTrailers) sendChunk(std::string(), true);
    for (size_t offset = 0; offset < size && writable; offset += chunkBytes) {
      if (spec.cancelAfterChunks && chunksSent == *spec.cancelAfterChunks) break;
      const size_t n = std::min(chunkBytes, size - offset);
      sendChunk(spec.body.substr(offset, n), offset + n == size && !spec.sendTrailers);
    }
    if (spec.cancelAfterChunks) {
      stream.cancel();
      result.cancelled = true;
      pb::ProcessingResponse reply;
      while (stream.read(reply)) ++result.messagesReceived;
      result.status = stream.finish();
      return result;
    }
    if (spec.sendTrailers && writable) {
      pb::ProcessingRequest message;
      pb::HeaderMap* map = message.mutable_request_trailers()->mutable_trailers();
      for (const auto& [key, value] : spec.trailers) addHeader(*map, key, value);
      decorate(spec, message);
      writable = stream.send(message);
    }
  }

  if (spec.observabilityMode) {
    closeStream(stream, result, "an observability_mode request");
    return result;
  }
  if (!readRequestReplies(stream, spec, start, result)) {
    closeStream(stream, result, result.immediate ? "immediate_response" : "the end");
    return result;
  }
  if (spec.response) {
    playResponse(stream, *spec.response, result);
  } else if (spec.upstream && result.routed) {
    if (std::optional<ResponseSpec> response = spec.upstream(result)) {
      playResponse(stream, *response, result);
    }
  }
  closeStream(stream, result, "the conversation");
  return result;
}

}  // namespace epp::testing

#include "host/extproc/responses.h"

#include <algorithm>
#include <utility>

namespace epp::extproc {

const char* errorCodeForStatus(int httpStatus) {
  switch (httpStatus) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 413:
      return "PayloadTooLarge";
    case 431:
      return "RequestHeaderFieldsTooLarge";
    case 429:
      return "ResourceExhausted";
    case 500:
      return "Internal";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "DeadlineExceeded";
    default:
      return "Unknown";
  }
}

pb::ProcessingResponse routedHeadersResponse(const RoutingDecision& decision,
                                             const HeaderList& extra) {
  pb::ProcessingResponse out;
  pb::CommonResponse* common = out.mutable_request_headers()->mutable_response();
  // The destination changes the route's cluster choice: Envoy must re-run route matching.
  common->set_clear_route_cache(true);
  pb::HeaderMutation* mutation = common->mutable_header_mutation();
  addSetHeader(*mutation, kDestinationHeader, decision.destination);
  for (const auto& [key, value] : decision.setHeaders) addSetHeader(*mutation, key, value);
  for (const auto& [key, value] : extra) addSetHeader(*mutation, key, value);

  google::protobuf::Value& lb =
      (*out.mutable_dynamic_metadata()->mutable_fields())[std::string(kLbNamespace)];
  (*lb.mutable_struct_value()->mutable_fields())[std::string(kDestinationHeader)].set_string_value(
      decision.destination);
  return out;
}

pb::ProcessingResponse immediateResponse(int httpStatus, std::string_view code,
                                         std::string_view message, const HeaderList& headers) {
  pb::ProcessingResponse out;
  pb::ImmediateResponse* reply = out.mutable_immediate_response();
  reply->mutable_status()->set_code(httpStatus);
  std::string body;
  body.reserve(20 + code.size() + message.size());
  body.append("inference error: ").append(code).append(" - ").append(message);
  reply->set_body(std::move(body));
  for (const auto& [key, value] : headers) addSetHeader(*reply->mutable_headers(), key, value);
  // Feeds %RESPONSE_CODE_DETAILS%, which must be one token: the code word has no spaces.
  reply->set_details(std::string(code));
  return out;
}

pb::ProcessingResponse requestTrailersResponse() {
  pb::ProcessingResponse out;
  out.mutable_request_trailers();
  return out;
}

pb::ProcessingResponse responseHeadersResponse(const HeaderList& setHeaders) {
  pb::ProcessingResponse out;
  pb::CommonResponse* common = out.mutable_response_headers()->mutable_response();
  if (!setHeaders.empty()) {
    pb::HeaderMutation* mutation = common->mutable_header_mutation();
    for (const auto& [key, value] : setHeaders) addSetHeader(*mutation, key, value);
  }
  return out;
}

pb::ProcessingResponse responseBodyResponse(std::string chunk, bool endOfStream) {
  pb::ProcessingResponse out;
  pb::StreamedBodyResponse* streamed = out.mutable_response_body()
                                           ->mutable_response()
                                           ->mutable_body_mutation()
                                           ->mutable_streamed_response();
  streamed->set_body(std::move(chunk));
  streamed->set_end_of_stream(endOfStream);
  return out;
}

pb::ProcessingResponse responseTrailersResponse() {
  pb::ProcessingResponse out;
  out.mutable_response_trailers();
  return out;
}

BodyChunker::BodyChunker(std::string owned, size_t maxChunk, bool trailersFollow)
    : owned_(std::move(owned)),
      maxChunk_(std::max<size_t>(maxChunk, 1)),
      trailersFollow_(trailersFollow) {
  data_ = owned_;
}

BodyChunker::BodyChunker(std::shared_ptr<RequestInput> input, size_t maxChunk, bool trailersFollow)
    : maxChunk_(std::max<size_t>(maxChunk, 1)), trailersFollow_(trailersFollow) {
  if (input.use_count() == 1) {
    // Nobody else can read the input any more (the pipeline dropped it): take the body.
    owned_ = std::move(input->body);
    data_ = owned_;
  } else {
    input_ = std::move(input);
    data_ = input_->body;
  }
}

void BodyChunker::next(pb::ProcessingResponse& out) {
  out.Clear();
  pb::StreamedBodyResponse* streamed = out.mutable_request_body()
                                           ->mutable_response()
                                           ->mutable_body_mutation()
                                           ->mutable_streamed_response();
  size_t size = std::min(maxChunk_, data_.size() - offset_);
  bool last = offset_ + size == data_.size();
  if (offset_ == 0 && last && !owned_.empty()) {
    streamed->set_body(std::move(owned_));  // the whole body in one chunk: no copy
  } else {
    streamed->set_body(data_.data() + offset_, size);
  }
  offset_ += size;
  streamed->set_end_of_stream(last && !trailersFollow_);
  if (last) {
    done_ = true;
    input_.reset();
  }
}

}  // namespace epp::extproc

// File: tools/sim/openai_api.h
//
// The OpenAI-compatible surface of the simulator: reading a /v1/completions or
// /v1/chat/completions body, and writing responses, SSE chunks and errors in the shapes
// vLLM serves them. The prompt is extracted by eppd's own request parser, so the text the
// simulator hashes into KV blocks is exactly the text eppd's prefix scorer hashes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/request/openai_request.h"

namespace epp::sim {

struct ApiError {
  int status = 400;
  std::string type;  // "BadRequestError", "NotFoundError", ...
  std::string message;
};

struct CompletionCall {
  request::ApiType api = request::ApiType::kCompletions;
  std::string model;
  std::string prompt;
  bool stream = false;
  bool includeUsage = false;
  std::optional<int32_t> maxTokens;  // max_completion_tokens, else max_tokens
};

// Parses a completions or chat-completions body; a 400 error when it is unusable.
std::optional<ApiError> parseCompletionCall(std::string_view body, request::ApiType api,
                                            CompletionCall& out);

// {"error": {"message", "type", "param": null, "code": status}}
std::string errorJson(const ApiError& error);

struct UsageCounts {
  int32_t promptTokens = 0;
  int32_t completionTokens = 0;
  int32_t cachedTokens = 0;
};

// The text of output token `index` of a response: a short word and a space (≈ one token
// at four characters per token).
std::string_view tokenText(int32_t index);

// Every piece of one response, with its id, model and creation time fixed.
class ResponseWriter {
 public:
  ResponseWriter(request::ApiType api, uint64_t requestId, std::string model, int64_t created);

  // SSE events, each "data: {...}\n\n".
  std::string roleEvent() const;  // chat only: the assistant role, empty content
  std::string textEvent(std::string_view text) const;
  std::string finishEvent(std::string_view finishReason) const;
  std::string usageEvent(const UsageCounts& usage) const;
  static std::string_view doneEvent() { return "data: [DONE]\n\n"; }

  // The non-streaming JSON body.
  std::string fullResponse(std::string_view text, std::string_view finishReason,
                           const UsageCounts& usage) const;

 private:
  std::string chunkEnvelope() const;  // {"id":...,"object":...,"created":...,"model":...
  bool chat_;
  std::string id_;
  std::string model_;
  int64_t created_;
  std::string textPrefix_;  // a text event up to the token text
  std::string textSuffix_;
};

}  // namespace epp::sim

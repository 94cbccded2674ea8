// File: host/request/openai_request.h
//
// An OpenAI-style inference request body as eppd needs it: the model, the prompt text
// plugins hash and match on, and whether the client streams. Parsed once per request with
// simdjson; the raw body is kept as is (eppd never re-serialises a body it does not
// change).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "host/common/result.h"

namespace epp::request {

// Which OpenAI API the request targets, from the :path suffix.
enum class ApiType { kCompletions, kChatCompletions, kResponses, kConversations, kEmbeddings };

struct OpenAiRequest {
  ApiType api = ApiType::kCompletions;
  std::string model;
  // Where the model's value is in the body: its JSON string token as written, quotes and
  // escapes included (what a model rewrite replaces).
  size_t modelOffset = 0;
  size_t modelLength = 0;
  // Completions: "prompt" (strings of an array joined by "\n"). Chat: each message's text
  // content ("content" as a string, or the "text" of content parts) joined by "\n".
  // Responses: "input". Embeddings: "input".
  std::string prompt;
  // Completions whose "prompt" is an array of token ids (OpenAI's pre-tokenized form):
  // those ids, which plugins matching on the engine's own blocks use as they are.
  std::vector<uint32_t> promptTokenIds;
  // Where the raw JSON value of "messages" (chat) or "prompt" (completions) is in the body,
  // as written: what a model server's /tokenize takes. Length 0 when absent.
  size_t promptJsonOffset = 0;
  size_t promptJsonLength = 0;
  bool stream = false;
  bool includeUsage = false;
};

// The API type for a request path ("/v1/chat/completions?x=1" → kChatCompletions); an
// unknown or empty path counts as completions, as the reference does.
ApiType apiTypeForPath(std::string_view path);

// Parses `body`. Errors are single-line reasons for a 400 ("body is not valid JSON: …",
// "model is required").
common::Result<OpenAiRequest> parseOpenAiRequest(std::string_view body, ApiType api);

}  // namespace epp::request

// File: host/runtime/tokenize_client.h
//
// Asks a model server for a prompt's token ids: POST <path> (vLLM's /tokenize) with
// {"model", "messages", "add_generation_prompt": true} or {"model", "prompt"}, answered by
// {"tokens": [...], ...}. Calls run as coroutines on the client's own threads, so a request
// waiting for its ids holds no thread; connections are kept alive per server and reused.
// Each call ends exactly once, on one of the client's threads, with the ids or an error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/common/result.h"

namespace epp::runtime {

struct TokenizeCall {
  std::string host;  // an IP literal
  uint16_t port = 0;
  std::string path = "/tokenize";
  std::string body;  // the JSON to post (tokenizeBody)
  int64_t timeoutNs = 200'000'000;
};

struct TokenizeResult {
  std::vector<uint32_t> ids;
  // Empty on success; else what went wrong (the outcome label): "timeout", "connect",
  // "status" (not 200), "body" (not the expected JSON); and a sentence.
  std::string errorKind;
  std::string error;
  bool ok() const { return errorKind.empty(); }
};

using TokenizeDone = std::function<void(TokenizeResult)>;

class TokenizeClient {
 public:
  explicit TokenizeClient(int threads = 2);
  ~TokenizeClient();  // waits for the calls in flight (each ends within its timeout)
  TokenizeClient(const TokenizeClient&) = delete;
  TokenizeClient& operator=(const TokenizeClient&) = delete;

  void tokenize(TokenizeCall call, TokenizeDone done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The /tokenize body for a request: `promptJson` is the raw JSON of its "messages" (chat)
// or "prompt" (completions) as the client wrote it; `model` is the model it is routed as.
std::string tokenizeBody(std::string_view model, std::string_view promptJson, bool chat);

// {"tokens": [ids...]} (other keys ignored) -> the ids; an error for anything else.
common::Result<std::vector<uint32_t>> parseTokenizeResponse(std::string_view body);

}  // namespace epp::runtime

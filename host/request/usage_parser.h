// File: host/request/usage_parser.h
//
// Token usage reported by a model server, read from the response as it streams by: for
// a JSON response the body is collected (up to a cap) and parsed at the end; for an SSE
// response each complete `data:` line is parsed as it passes (chunks may split lines),
// looking for a "usage" object (OpenAI chat/completions with include_usage) or a
// Responses API "response.completed" event. Nothing here delays the chunks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace epp::request {

struct Usage {
  int64_t promptTokens = -1;
  int64_t completionTokens = -1;
  int64_t totalTokens = -1;
  int64_t cachedPromptTokens = -1;
  bool found() const { return promptTokens >= 0 || completionTokens >= 0; }
};

class UsageParser {
 public:
  // Bodies (or single SSE lines) larger than this are not parsed.
  static constexpr size_t kMaxBuffered = 4 << 20;

  explicit UsageParser(bool sse) : sse_(sse) {}
  void feed(std::string_view chunk, bool endOfStream);
  const Usage& usage() const { return usage_; }

 private:
  void parseJson(std::string_view json);
  void parseLine(std::string_view line);

  bool sse_;
  bool overflow_ = false;
  std::string buffer_;
  Usage usage_;
};

// Reads a "usage" object out of one JSON document; unchanged fields stay -1.
void readUsageJson(std::string_view json, Usage& usage);

}  // namespace epp::request

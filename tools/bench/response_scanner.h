// File: tools/bench/response_scanner.h
//
// Reads an OpenAI response body as it arrives, in chunks cut anywhere: for SSE, the first
// content token (TTFT), the count of content events, and the usage of the final event
// (stream_options.include_usage); for a plain JSON body, the same from the whole body at
// the end. Only the events before the first content token and those carrying "usage" are
// JSON-parsed: the thousand in between are counted from their text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace epp::bench {

struct Usage {
  uint32_t promptTokens = 0;
  uint32_t completionTokens = 0;
  std::optional<uint32_t> cachedTokens;  // prompt_tokens_details.cached_tokens
};

class ResponseScanner {
 public:
  explicit ResponseScanner(bool sse) : sse_(sse) {}

  // True when this chunk carried the first content token.
  bool feed(std::string_view chunk);
  // The body is complete: parses a JSON body, or a last SSE line without its newline.
  // True when that produced the first content token.
  bool finish();

  bool sawContent() const { return sawContent_; }
  uint32_t contentEvents() const { return contentEvents_; }
  const std::optional<Usage>& usage() const { return usage_; }

 private:
  bool line(std::string_view text);
  bool event(std::string_view json);

  bool sse_;
  std::string pending_;  // SSE: a partial line; JSON: the whole body
  bool sawContent_ = false;
  uint32_t contentEvents_ = 0;
  std::optional<Usage> usage_;
};

// The sum of every sample of counter `name` (any labels) in Prometheus text; nullopt when
// there is none.
std::optional<double> sumSamples(std::string_view text, std::string_view name);

}  // namespace epp::bench

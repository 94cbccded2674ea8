// File: host/routing/model_rewrite.h
//
// The two byte-level edits of a model rewrite: the request body's "model" value replaced
// by the target (one splice at the offset the parser found; the rest of the body, prompt
// included, is copied as is, never re-serialised), and, on the response path, the target's
// `"model":"<target>"` replaced back by the client's name in JSON bodies and SSE events,
// chunk by chunk, also when a chunk boundary cuts through the pattern.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace epp::routing {

// `text` as a JSON string literal, quotes included ("a\"b" for a"b).
std::string jsonString(std::string_view text);

// `body` with the `length` bytes at `offset` (the model's JSON string token as written,
// quotes included) replaced by jsonString(model).
std::string replaceModelValue(std::string_view body, size_t offset, size_t length,
                              std::string_view model);

// Rewrites `"model":"<from>"` to `"model":"<to>"` in a byte stream fed chunk by chunk.
// Whitespace around the colon is allowed (up to 8 bytes each side) and kept. When a chunk
// ends inside a possible match, the bytes from the match's start are held back and put in
// front of the next chunk, so each chunk is passed on at once except for at most the
// pattern's length. A well-formed JSON body or SSE stream never ends inside the pattern,
// so nothing is held at its end; the last chunk (end of stream) is never held.
class ModelNameRewriter {
 public:
  ModelNameRewriter(std::string_view from, std::string_view to);

  // Rewrites `chunk` in place (it may shrink to nothing when all of it is held back).
  void rewrite(std::string& chunk, bool last);
  // Occurrences rewritten so far.
  uint64_t rewritten() const { return rewritten_; }
  size_t heldBytes() const { return pending_.size(); }

 private:
  enum class Match { kNone, kPartial, kFull };
  // Tries the pattern at data[at] ('"'); on kFull, [valueBegin, valueEnd) is the value.
  Match matchAt(std::string_view data, size_t at, size_t& valueBegin, size_t& valueEnd) const;

  std::string from_;  // jsonString(from)
  std::string to_;    // jsonString(to)
  std::string pending_;
  uint64_t rewritten_ = 0;
};

}  // namespace epp::routing

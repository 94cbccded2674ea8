// File: tests/fuzz/usage_parser_fuzz.cc
//
// A model server's response body through UsageParser, as SSE or as one JSON document. The
// first byte picks the mode (bit 0: SSE) and seeds where the body is cut into chunks; the
// rest is the body. Whatever the cuts, the usage read must be the same as from the body in
// one piece, with end of stream on the last chunk or on an empty chunk after it (Envoy
// sends both), and byte by byte.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "host/request/usage_parser.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using epp::request::Usage;
using epp::request::UsageParser;

bool same(const Usage& a, const Usage& b) {
  return a.promptTokens == b.promptTokens && a.completionTokens == b.completionTokens &&
         a.totalTokens == b.totalTokens && a.cachedPromptTokens == b.cachedPromptTokens;
}

// Cuts `body` into chunks of 0..63 bytes (empty chunks included) drawn from `seed`.
template <typename Fn>
void chunked(std::string_view body, uint32_t seed, Fn&& each) {
  uint32_t state = seed * 2654435761u + 1;
  size_t pos = 0;
  while (pos < body.size()) {
    state = state * 1664525u + 1013904223u;
    size_t n = (state >> 24) % 64;
    n = n < body.size() - pos ? n : body.size() - pos;
    each(body.substr(pos, n), pos + n == body.size());
    pos += n;
  }
}

void report(const char* what, const Usage& a, const Usage& b) {
  FUZZ_CHECK(
      same(a, b), "%s: prompt %lld/%lld completion %lld/%lld total %lld/%lld cached %lld/%lld",
      what, static_cast<long long>(a.promptTokens), static_cast<long long>(b.promptTokens),
      static_cast<long long>(a.completionTokens), static_cast<long long>(b.completionTokens),
      static_cast<long long>(a.totalTokens), static_cast<long long>(b.totalTokens),
      static_cast<long long>(a.cachedPromptTokens), static_cast<long long>(b.cachedPromptTokens));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool sse = (data[0] & 1) != 0;
  const uint32_t seed = data[0] >> 1;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  UsageParser whole(sse);
  whole.feed(body, true);

  UsageParser lastChunkEos(sse);
  if (body.empty()) lastChunkEos.feed(body, true);
  chunked(body, seed, [&](std::string_view c, bool last) { lastChunkEos.feed(c, last); });
  report("end of stream on the last chunk", whole.usage(), lastChunkEos.usage());

  UsageParser emptyEos(sse);
  chunked(body, seed, [&](std::string_view c, bool) { emptyEos.feed(c, false); });
  emptyEos.feed({}, true);
  report("end of stream on an empty chunk", whole.usage(), emptyEos.usage());

  UsageParser bytes(sse);
  for (size_t i = 0; i < body.size(); ++i) bytes.feed(body.substr(i, 1), false);
  bytes.feed({}, true);
  report("byte by byte", whole.usage(), bytes.usage());
  return 0;
}

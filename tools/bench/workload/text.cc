#include "tools/bench/workload/text.h"

#include <array>
#include <string_view>

#include "tools/bench/workload/rng.h"

namespace epp::bench {
namespace {

// 64 words: one draw of 6 bits each, cheap enough for megabytes of prompt.
constexpr std::array<std::string_view, 64> kWords = {
    "the",      "model",   "serves", "a",        "request", "with",   "cached", "prefix",
    "tokens",   "and",     "queue",  "depth",    "under",   "load",   "while",  "batch",
    "decode",   "steps",   "grow",   "slowly",   "each",    "user",   "asks",   "about",
    "data",     "from",    "its",    "system",   "prompt",  "before", "every",  "answer",
    "fast",     "paths",   "keep",   "latency",  "low",     "when",   "blocks", "stay",
    "warm",     "in",      "memory", "of",       "one",     "server", "other",  "pods",
    "route",    "traffic", "by",     "score",    "weight",  "picker", "filter", "chooses",
    "endpoint", "gateway", "stream", "response", "chunk",   "text",   "output", "input"};

}  // namespace

std::string syntheticText(uint64_t seed, uint32_t tokens) {
  const size_t size = static_cast<size_t>(tokens) * kCharsPerToken;
  std::string out;
  out.reserve(size + 16);
  Rng rng(seed);
  while (out.size() < size) {
    uint64_t bits = rng.next();
    // Ten words per draw.
    for (int i = 0; i < 10 && out.size() < size; ++i, bits >>= 6) {
      out += kWords[bits & 63];
      out += ' ';
    }
  }
  out.resize(size);
  return out;
}

}  // namespace epp::bench

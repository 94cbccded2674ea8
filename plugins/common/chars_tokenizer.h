// File: plugins/common/chars_tokenizer.h
//
// The tokenizer eppd-sim uses for prompt text, so that eppd can compute the simulator's
// token ids exactly: one token per `charsPerToken` bytes (the last may be shorter), its id
// the XXH32 of those bytes. It stands in for a model's real tokenizer in local runs and
// tests; against a real engine use pre-tokenized prompts (or a real tokenizer).
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace epp::plugins {

inline void charsTokenize(std::string_view text, int32_t charsPerToken,
                          std::vector<uint32_t>& out) {
  const size_t step = charsPerToken > 0 ? static_cast<size_t>(charsPerToken) : 4;
  out.reserve(out.size() + (text.size() + step - 1) / step);
  for (size_t at = 0; at < text.size(); at += step) {
    std::string_view chunk = text.substr(at, step);
    out.push_back(XXH32(chunk.data(), chunk.size(), 0));
  }
}

}  // namespace epp::plugins

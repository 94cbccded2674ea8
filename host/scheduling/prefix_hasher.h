// File: host/scheduling/prefix_hasher.h
//
// Prompt prefix block hashes, computed once per request and block size and shared with
// every plugin that asks (epp_host_api.request_prefix_hashes).
//
// A block is blockSizeTokens × 4 characters of the prompt (the reference's estimate of 4
// characters per token); only whole blocks count. Hashes are chained so a block's hash
// names the whole prefix up to it: h0 = xxh64(model), h(i) = xxh64(block(i), seed h(i-1)).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace epp::scheduling {

inline constexpr uint32_t kCharsPerToken = 4;

// Appends at most `maxBlocks` hashes of `prompt` for `model` to `out`.
void hashPrefixBlocks(std::string_view model, std::string_view prompt, uint32_t blockSizeTokens,
                      uint32_t maxBlocks, std::vector<uint64_t>& out);

}  // namespace epp::scheduling

// File: tools/sim/engine/prompt_blocks.h
//
// How the simulator sees a prompt: a token count (characters / charsPerToken, rounded up)
// and the chained xxhash64 hashes of its whole blocks of blockSize tokens
// (blockSize × charsPerToken characters). The chain is the one eppd's prefix hasher uses
// (host/scheduling/prefix_hasher.h): h0 = xxh64(model name as requested, i.e. the adapter
// name for a LoRA request), h(i) = xxh64(block(i), seed h(i-1)); so for 16-token blocks
// the simulator's cache keys are exactly the prefix hashes eppd computes for the request.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace epp::sim {

int32_t estimateTokens(std::string_view prompt, int32_t charsPerToken);

void hashPromptBlocks(std::string_view modelAsRequested, std::string_view prompt, int32_t blockSize,
                      int32_t charsPerToken, std::vector<uint64_t>& out);

}  // namespace epp::sim

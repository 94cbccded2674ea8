#include "tools/sim/engine/prompt_blocks.h"

#include <xxhash.h>

#include <algorithm>

namespace epp::sim {

int32_t estimateTokens(std::string_view prompt, int32_t charsPerToken) {
  const size_t per = static_cast<size_t>(std::max(charsPerToken, 1));
  return static_cast<int32_t>(std::max<size_t>(1, (prompt.size() + per - 1) / per));
}

void hashPromptBlocks(std::string_view modelAsRequested, std::string_view prompt, int32_t blockSize,
                      int32_t charsPerToken, std::vector<uint64_t>& out) {
  out.clear();
  const size_t blockChars = static_cast<size_t>(blockSize) * static_cast<size_t>(charsPerToken);
  if (blockChars == 0) return;
  const size_t blocks = prompt.size() / blockChars;
  out.reserve(blocks);
  uint64_t prev = XXH64(modelAsRequested.data(), modelAsRequested.size(), 0);
  for (size_t i = 0; i < blocks; ++i) {
    prev = XXH64(prompt.data() + i * blockChars, blockChars, prev);
    out.push_back(prev);
  }
}

}  // namespace epp::sim

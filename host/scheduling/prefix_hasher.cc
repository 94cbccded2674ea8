#include "host/scheduling/prefix_hasher.h"

#include <xxhash.h>

namespace epp::scheduling {

void hashPrefixBlocks(std::string_view model, std::string_view prompt, uint32_t blockSizeTokens,
                      uint32_t maxBlocks, std::vector<uint64_t>& out) {
  if (blockSizeTokens == 0) return;
  const size_t blockChars = static_cast<size_t>(blockSizeTokens) * kCharsPerToken;
  size_t blocks = prompt.size() / blockChars;
  if (blocks > maxBlocks) blocks = maxBlocks;
  out.reserve(out.size() + blocks);
  uint64_t prev = XXH64(model.data(), model.size(), 0);
  for (size_t i = 0; i < blocks; ++i) {
    prev = XXH64(prompt.data() + i * blockChars, blockChars, prev);
    out.push_back(prev);
  }
}

}  // namespace epp::scheduling

#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

#include <algorithm>
#include <array>
#include <limits>

namespace epp::plugins {
namespace {

constexpr std::array<std::string_view, 7> kParameters = {"autoTune",
                                                         "blockSizeTokens",
                                                         "maxPrefixBlocksToMatch",
                                                         "maxPrefixTokensToMatch",
                                                         "lruCapacityPerServer",
                                                         "blockSize",
                                                         "hashBlockSize"};

// Block sizes in characters, from older releases: `blockSize`, and v1.0's `hashBlockSize`.
constexpr std::array<std::string_view, 2> kDeprecatedCharacterBlockSizes = {"blockSize",
                                                                            "hashBlockSize"};

std::optional<int64_t> engineBlockSize(const cpp::Endpoint& e) {
  if (!e.hasMetrics() || e.cacheBlockSize() <= 0) return std::nullopt;
  return std::min(e.cacheBlockSize(), PrefixCacheConfig::kMaxBlockSizeTokens);
}

}  // namespace

PrefixCacheConfig PrefixCacheConfig::parse(const cpp::Params& params,
                                           const std::function<void(const std::string&)>& warn) {
  PrefixCacheConfig c;
  c.autoTune = params.getBool("autoTune", true);
  const bool tokensSet = params.getNode("blockSizeTokens").has_value();
  c.blockSizeTokens = static_cast<uint32_t>(params.getInt(
      "blockSizeTokens", kDefaultBlockSizeTokens, /*min=*/1, /*max=*/kMaxBlockSizeTokens));
  std::optional<std::string_view> legacyUsed;
  for (std::string_view legacy : kDeprecatedCharacterBlockSizes) {
    if (!params.getNode(legacy)) continue;
    const int64_t chars = params.getInt(legacy, 0, /*min=*/1,
                                        /*max=*/kMaxBlockSizeTokens * kCharactersPerToken);
    const std::string where = params.location(legacy) + ": parameter \"" + std::string(legacy) +
                              "\" is deprecated (a size in characters)";
    if (tokensSet || legacyUsed) {
      warn(where + " and ignored: \"" + std::string(tokensSet ? "blockSizeTokens" : *legacyUsed) +
           "\" is set");
      continue;
    }
    c.blockSizeTokens = static_cast<uint32_t>(std::max<int64_t>(1, chars / kCharactersPerToken));
    warn(where + ": read as blockSizeTokens " + std::to_string(c.blockSizeTokens) +
         "; set blockSizeTokens instead");
    legacyUsed = legacy;
  }
  c.maxPrefixBlocksToMatch = static_cast<uint32_t>(
      params.getInt("maxPrefixBlocksToMatch", kDefaultMaxPrefixBlocks, /*min=*/1,
                    /*max=*/std::numeric_limits<uint32_t>::max()));
  if (params.getNode("maxPrefixTokensToMatch")) {
    c.maxPrefixTokensToMatch = params.getInt("maxPrefixTokensToMatch", 0, /*min=*/1);
  }
  c.lruCapacityPerServer = static_cast<size_t>(params.getInt(
      "lruCapacityPerServer", kDefaultLruCapacityPerServer, /*min=*/1, /*max=*/kMaxLruCapacity));
  return c;
}

bool PrefixCacheConfig::anySet(const cpp::Params& params) {
  return std::any_of(kParameters.begin(), kParameters.end(),
                     [&](std::string_view key) { return params.has(key); });
}

uint32_t PrefixCacheConfig::blockSizeFor(const cpp::EndpointList& candidates) const {
  if (autoTune) {
    for (auto e : candidates) {
      if (auto size = engineBlockSize(e)) return static_cast<uint32_t>(*size);
    }
  }
  return blockSizeTokens;
}

uint32_t PrefixCacheConfig::blockSizeFor(const cpp::Endpoint& endpoint) const {
  if (autoTune) {
    if (auto size = engineBlockSize(endpoint)) return static_cast<uint32_t>(*size);
  }
  return blockSizeTokens;
}

uint32_t PrefixCacheConfig::maxBlocksFor(uint32_t blockSize) const {
  if (!maxPrefixTokensToMatch) return maxPrefixBlocksToMatch;
  // A token budget replaces the block count: the same prefix length whatever the block size.
  const int64_t blocks = *maxPrefixTokensToMatch / std::max<uint32_t>(blockSize, 1);
  return static_cast<uint32_t>(
      std::clamp<int64_t>(blocks, 1, std::numeric_limits<uint32_t>::max()));
}

size_t PrefixCacheConfig::capacityFor(const cpp::Endpoint& endpoint) const {
  if (autoTune && endpoint.hasMetrics() && endpoint.cacheNumBlocks() > 0) {
    return static_cast<size_t>(std::min(endpoint.cacheNumBlocks(), kMaxLruCapacity));
  }
  return lruCapacityPerServer;
}

}  // namespace epp::plugins

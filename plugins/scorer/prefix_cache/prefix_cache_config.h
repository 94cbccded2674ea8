#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// Where approx-prefix-cache-producer publishes each candidate's matched / total prefix
// blocks for the request, and where prefix-cache-scorer reads it.
inline constexpr std::string_view kMatchRatioKey = "prefix-cache/match-ratio";
// Where it publishes each candidate's matched leading blocks in tokens (blocks x block size),
// for plugins that need an amount rather than a share: the P/D deciders of
// disagg-profile-handler compare the prompt's non-cached part with a threshold.
inline constexpr std::string_view kMatchedTokensKey = "prefix-cache/matched-tokens";

// Tuning of the approximate prefix index: the parameters of approx-prefix-cache-producer,
// which prefix-cache-scorer also accepts from configs written before the producer existed.
struct PrefixCacheConfig {
  static constexpr int64_t kDefaultBlockSizeTokens = 16;
  static constexpr int64_t kDefaultMaxPrefixBlocks = 256;
  static constexpr int64_t kDefaultLruCapacityPerServer = 31250;
  // Prompts are hashed as text: a token is taken to be this many characters.
  static constexpr int64_t kCharactersPerToken = 4;
  static constexpr int64_t kMaxBlockSizeTokens = 1 << 20;
  static constexpr int64_t kMaxLruCapacity = 1 << 30;

  bool autoTune = true;
  uint32_t blockSizeTokens = kDefaultBlockSizeTokens;
  uint32_t maxPrefixBlocksToMatch = kDefaultMaxPrefixBlocks;
  std::optional<int64_t> maxPrefixTokensToMatch;
  size_t lruCapacityPerServer = kDefaultLruCapacityPerServer;

  // Reads and validates the parameters (throws cpp::Error naming the parameter and its
  // location). Deprecated spellings are accepted; `warn` receives one message for each.
  static PrefixCacheConfig parse(const cpp::Params& params,
                                 const std::function<void(const std::string&)>& warn);
  // Whether `params` sets any of these parameters.
  static bool anySet(const cpp::Params& params);

  // Block size in tokens for a request: with autoTune, the engine's KV block size reported
  // by the first candidate that has one (a pool serves one model, so they agree).
  uint32_t blockSizeFor(const cpp::EndpointList& candidates) const;
  uint32_t blockSizeFor(const cpp::Endpoint& endpoint) const;
  // Blocks hashed and matched per request at that block size.
  uint32_t maxBlocksFor(uint32_t blockSizeTokens) const;
  // LRU capacity of an endpoint: with autoTune, the engine's number of KV blocks when known.
  size_t capacityFor(const cpp::Endpoint& endpoint) const;
};

}  // namespace epp::plugins

// File: plugins/scorer/precise_prefix_cache/precise_index.h
//
// Which endpoints hold which KV-cache blocks, learnt from the endpoints' own KV events.
//
// Blocks are keyed by eppd's block key, computed from token ids (blockKey below) the same
// way for a stored block and for a request, so a request's blocks can be looked up without
// knowing the engine's hash function. The engine's block hash is kept per endpoint only to
// find a stored block's parent and to apply removals.
//
// Memory is bounded: at most `maxKeys` keys (least recently stored evicted first), each held
// by at most `maxEndpointsPerKey` endpoints (the oldest holder makes room).
//
// Thread-safety: updates (from the data layer) and queries (from the request path) may run
// concurrently; queries share a lock.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "epp/abi_hooks.h"

namespace epp::plugins {

// The key of the first block of a prompt for `model` (the chain's root), and of a block
// following `parent` with these tokens.
uint64_t rootBlockKey(std::string_view hashSeed, std::string_view model);
uint64_t blockKey(uint64_t parent, std::span<const uint32_t> tokens);

// Appends the keys of every whole block of `tokens` (at most maxBlocks).
void blockKeys(uint64_t root, std::span<const uint32_t> tokens, int32_t blockSize, size_t maxBlocks,
               std::vector<uint64_t>& out);

class PreciseIndex {
 public:
  struct Options {
    size_t maxKeys = 1'000'000;
    size_t maxEndpointsPerKey = 10;
    int32_t blockSize = 16;
  };
  // What an update did, for metrics.
  struct Outcome {
    size_t stored = 0;             // blocks added (or given a new medium)
    size_t removed = 0;            // blocks an endpoint no longer holds
    size_t orphans = 0;            // stored blocks whose parent is unknown: skipped
    size_t blockSizeMismatch = 0;  // events whose block size is not Options::blockSize
  };

  explicit PreciseIndex(Options options);

  // An endpoint stored blocks: engine hashes with their tokens (blockSize each), following
  // the block with engine hash `parent` (or the root key `root` when there is none).
  Outcome blockStored(uint64_t endpoint, uint64_t root, std::optional<uint64_t> parent,
                      std::span<const uint64_t> engineHashes, std::span<const uint32_t> tokens,
                      int32_t eventBlockSize, epp_kv_medium medium);
  Outcome blockRemoved(uint64_t endpoint, std::span<const uint64_t> engineHashes,
                       epp_kv_medium medium);
  // Everything known of the endpoint goes (AllBlocksCleared, a resync, the endpoint left).
  void clearEndpoint(uint64_t endpoint);

  // Speculative indexing: right after routing, the request's blocks are entered as held by
  // the endpoint it went to until `expiresNs`, so requests sharing the prefix that arrive
  // before the endpoint's own events follow it. A BlockStored for the same block makes the
  // entry real; an expired one no longer counts and goes at the next sweep.
  void addSpeculative(uint64_t endpoint, std::span<const uint64_t> keys, int64_t nowNs,
                      int64_t expiresNs);

  // For each endpoint holding the first of `keys`: the medium-weighted count of leading
  // keys it holds without a break (GPU 1.0, CPU 0.8, other 0.5). Endpoints holding
  // nothing are absent.
  void longestPrefix(std::span<const uint64_t> keys, std::unordered_map<uint64_t, double>& out,
                     int64_t nowNs = 0) const;

  size_t keyCount() const;
  size_t endpointBlockCount(uint64_t endpoint) const;

  static double mediumWeight(uint32_t mediumMask);

 private:
  struct Holder {
    uint64_t endpoint;
    uint64_t engineHash;
    uint32_t mediums;              // bit per epp_kv_medium
    int64_t speculativeUntil = 0;  // 0: reported by the endpoint; else a guess until then
    bool counts(int64_t nowNs) const { return speculativeUntil == 0 || speculativeUntil > nowNs; }
  };
  struct Entry {
    std::vector<Holder> holders;
    std::list<uint64_t>::iterator lru;
  };
  // Per endpoint: engine hash -> key.
  using EngineMap = std::unordered_map<uint64_t, uint64_t>;

  void addHolder(uint64_t key, uint64_t endpoint, uint64_t engineHash, uint32_t mediumBit);
  void dropHolder(Entry& entry, size_t index);
  void evictKey(std::unordered_map<uint64_t, Entry>::iterator it);

  const Options options_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<uint64_t, Entry> entries_;
  std::list<uint64_t> lru_;  // front: most recently stored
  std::unordered_map<uint64_t, EngineMap> byEndpoint_;
  struct Guess {
    int64_t expiresNs;
    uint64_t key;
    uint64_t endpoint;
  };
  std::deque<Guess> guesses_;  // in expiry order (TTL is fixed per instance)
};

}  // namespace epp::plugins

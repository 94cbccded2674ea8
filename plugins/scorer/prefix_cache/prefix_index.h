#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace epp::plugins {

// An approximate index of the prompt-prefix blocks each endpoint holds in its KV cache,
// learnt from where requests were sent. Per endpoint, an LRU of block hashes bounded by a
// capacity; beside it a reverse map from block hash to the endpoints holding it, so a match
// costs one probe per block whatever the number of endpoints, and no per-endpoint hash map
// is needed. Memory is bounded by the sum of the endpoints' capacities.
//
// Not thread-safe: the owner excludes writers from each other and from readers.
class PrefixIndex {
 public:
  // For each endpoint of `endpointIds`, writes to `matched` (same size) how many leading
  // blocks of `hashes` it holds consecutively: matching stops at its first missing block.
  void match(std::span<const uint64_t> hashes, std::span<const uint64_t> endpointIds,
             std::span<size_t> matched) const;

  // Records that `endpointId` now caches the blocks `hashes`. All of them become the most
  // recently used, the leading ones most of all: they are what every later match needs, so
  // a request's tail is evicted before its head. Then the least recently used blocks beyond
  // `capacity` (>= 1) are evicted.
  void insert(uint64_t endpointId, std::span<const uint64_t> hashes, size_t capacity);

  // Forgets everything about the endpoint.
  void removeEndpoint(uint64_t endpointId);

  // (endpoint, block) entries over all endpoints.
  size_t size() const { return size_; }
  size_t endpointSize(uint64_t endpointId) const;
  size_t endpointCount() const { return lrus_.size(); }
  bool contains(uint64_t endpointId, uint64_t hash) const;

  // What the state hand-over exports: the endpoints holding blocks, in increasing id order,
  // and an endpoint's blocks from the most to the least recently used. Inserting those
  // blocks, in that order, into an empty index (one insert call) rebuilds the same LRU.
  std::vector<uint64_t> endpointIds() const;
  std::vector<uint64_t> blocks(uint64_t endpointId) const;

 private:
  static constexpr uint32_t kNil = UINT32_MAX;

  // One block in one endpoint's recency list. Nodes live in a per-endpoint slab and are
  // reused after eviction, so the slab never outgrows the largest capacity seen.
  struct Node {
    uint64_t hash = 0;
    uint32_t prev = kNil;
    uint32_t next = kNil;
  };
  struct Lru {
    std::vector<Node> nodes;
    uint32_t head = kNil;  // most recently used
    uint32_t tail = kNil;  // least recently used
    uint32_t freeNodes = kNil;
    size_t size = 0;
  };
  // An endpoint holding a block, and where the block sits in that endpoint's LRU.
  struct Holder {
    uint64_t endpointId;
    uint32_t node;
  };

  static void unlink(Lru& lru, uint32_t node);
  static void pushFront(Lru& lru, uint32_t node);
  void evictOldest(uint64_t endpointId, Lru& lru);
  void dropHolder(uint64_t hash, uint64_t endpointId);

  std::unordered_map<uint64_t, Lru> lrus_;
  std::unordered_map<uint64_t, std::vector<Holder>> holders_;
  size_t size_ = 0;
};

}  // namespace epp::plugins

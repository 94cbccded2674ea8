#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace epp::plugins {

// An approximate index of the prompt-prefix blocks each endpoint holds in its KV cache,
// learnt from where requests were sent. Per endpoint, an LRU of block hashes bounded by a
// capacity. Every (endpoint, block) entry is one 24-byte record in a single slab; the
// records of one block hash are chained from a bucket of an open hash table keyed by the
// hash alone, so a match costs one chain walk per block whatever the number of endpoints,
// and the index holds no per-entry heap node (about 28–32 bytes per entry with the buckets;
// the standard containers this replaced took ~120).
//
// Not thread-safe: the owner excludes writers from each other and from readers; match()
// may run on many threads at once.
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
  size_t endpointCount() const { return slots_.size(); }
  bool contains(uint64_t endpointId, uint64_t hash) const;
  // Bytes the index's own arrays hold (allocated capacity, not only what is in use).
  size_t memoryBytes() const;

  // What the state hand-over exports: the endpoints holding blocks, in increasing id order,
  // and an endpoint's blocks from the most to the least recently used. Inserting those
  // blocks, in that order, into an empty index (one insert call) rebuilds the same LRU.
  std::vector<uint64_t> endpointIds() const;
  std::vector<uint64_t> blocks(uint64_t endpointId) const;

 private:
  static constexpr uint32_t kNil = UINT32_MAX;

  // One block held by one endpoint: its place in the endpoint's recency list and in the
  // chain of its hash's bucket. A free record has slot == kNil and is linked through `next`.
  struct Entry {
    uint64_t hash = 0;
    uint32_t slot = kNil;  // the endpoint's LRU
    uint32_t prev = kNil;  // towards the most recently used
    uint32_t next = kNil;  // towards the least recently used
    uint32_t chain = kNil;
  };
  struct Lru {
    uint32_t head = kNil;  // most recently used
    uint32_t tail = kNil;  // least recently used
    size_t size = 0;
  };

  // Fibonacci hashing: the top bits of hash × 2^64/φ, so hashes that differ only in a few
  // bits (ids rather than digests, say) still spread over the buckets.
  uint32_t bucketOf(uint64_t hash) const {
    return static_cast<uint32_t>((hash * 0x9e3779b97f4a7c15ull) >> bucketShift_);
  }
  uint32_t find(uint64_t hash, uint32_t slot) const;
  uint32_t slotOf(uint64_t endpointId) const;
  uint32_t slotFor(uint64_t endpointId);
  uint32_t allocate();
  void release(uint32_t entry);
  void unchain(uint32_t entry);
  void growBuckets();
  void unlink(Lru& lru, uint32_t entry);
  void pushFront(Lru& lru, uint32_t entry);
  void evictOldest(Lru& lru);

  std::vector<Entry> entries_;
  uint32_t freeEntries_ = kNil;
  std::vector<uint32_t> buckets_;  // a power of two, at least as many as live entries
  int bucketShift_ = 64;           // 64 - log2(buckets_.size())
  std::vector<Lru> lrus_;
  std::vector<uint32_t> freeSlots_;
  std::unordered_map<uint64_t, uint32_t> slots_;  // endpoint id -> index into lrus_
  size_t size_ = 0;
};

}  // namespace epp::plugins

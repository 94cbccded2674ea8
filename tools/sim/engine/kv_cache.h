// File: tools/sim/engine/kv_cache.h
//
// A paged KV cache with an LRU prefix cache, in the way vLLM's block pool works: blocks
// held by a running request have a reference count; a released block keeps its prefix
// hash and joins the free queue, from which allocation takes the least recently released
// block first (evicting its hash). A block whose prefix hash is known can be reused by a
// later request with the same prefix while it is still in the queue. Blocks referenced by
// a running request are never evicted.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

namespace epp::sim {

using BlockId = int32_t;

class KvCache {
 public:
  explicit KvCache(int32_t numBlocks);

  int32_t numBlocks() const { return static_cast<int32_t>(blocks_.size()); }
  int32_t freeBlocks() const { return freeCount_; }  // unreferenced, cached ones included
  int32_t usedBlocks() const { return numBlocks() - freeCount_; }
  double usage() const;  // referenced blocks / all blocks, in [0, 1]
  int32_t cachedBlocks() const { return static_cast<int32_t>(index_.size()); }

  // The blocks caching the longest run of leading `hashes` (at most maxBlocks of them).
  void matchPrefix(std::span<const uint64_t> hashes, int32_t maxBlocks,
                   std::vector<BlockId>& out) const;
  // Whether `matched` (from matchPrefix) can be taken plus `newBlocks` more allocated.
  bool canAllocate(std::span<const BlockId> matched, int32_t newBlocks) const;
  // Takes a reference on a matched block (removing it from the free queue if needed).
  void acquire(BlockId block);
  // Takes the least recently released free block (evicting its hash); requires
  // freeBlocks() > 0.
  BlockId allocate();
  // Drops a reference; at zero the block joins the free queue: at the back (evicted
  // last) if it caches a prefix, at the front otherwise. Release a request's blocks
  // last-first so a prefix's tail is evicted before its head.
  void release(BlockId block);
  // Names a full block's contents; the first block registered for a hash serves hits.
  // True when the hash became newly cached by this call.
  bool registerHash(BlockId block, uint64_t hash);
  // Called with each hash that stops being cached (evicted or dropped).
  void setForgetListener(std::function<void(uint64_t)> listener) {
    onForget_ = std::move(listener);
  }
  // Forgets every cached prefix that no running request references.
  void dropUnreferencedCache();

 private:
  static constexpr int32_t kNone = -1;
  struct Block {
    uint64_t hash = 0;
    int32_t refs = 0;
    int32_t prev = kNone;
    int32_t next = kNone;
    bool hashed = false;
  };
  void unlink(BlockId b);
  void pushBack(BlockId b);
  void pushFront(BlockId b);
  void forget(BlockId b);

  std::vector<Block> blocks_;
  BlockId head_ = kNone;
  BlockId tail_ = kNone;
  int32_t freeCount_ = 0;
  std::unordered_map<uint64_t, BlockId> index_;
  std::function<void(uint64_t)> onForget_;
};

}  // namespace epp::sim

#include "tools/sim/engine/kv_cache.h"

namespace epp::sim {

KvCache::KvCache(int32_t numBlocks) : blocks_(static_cast<size_t>(numBlocks)) {
  index_.reserve(static_cast<size_t>(numBlocks));
  for (BlockId b = 0; b < numBlocks; ++b) pushBack(b);
}

double KvCache::usage() const {
  return blocks_.empty() ? 0.0 : static_cast<double>(usedBlocks()) / numBlocks();
}

void KvCache::matchPrefix(std::span<const uint64_t> hashes, int32_t maxBlocks,
                          std::vector<BlockId>& out) const {
  out.clear();
  for (size_t i = 0; i < hashes.size() && static_cast<int32_t>(i) < maxBlocks; ++i) {
    auto it = index_.find(hashes[i]);
    if (it == index_.end()) break;
    out.push_back(it->second);
  }
}

bool KvCache::canAllocate(std::span<const BlockId> matched, int32_t newBlocks) const {
  int32_t taken = 0;  // matched blocks that would leave the free queue
  for (BlockId b : matched) taken += blocks_[static_cast<size_t>(b)].refs == 0 ? 1 : 0;
  return freeCount_ - taken >= newBlocks;
}

void KvCache::acquire(BlockId b) {
  Block& block = blocks_[static_cast<size_t>(b)];
  if (block.refs++ == 0) unlink(b);
}

BlockId KvCache::allocate() {
  BlockId b = head_;
  unlink(b);
  forget(b);
  blocks_[static_cast<size_t>(b)].refs = 1;
  return b;
}

void KvCache::release(BlockId b) {
  Block& block = blocks_[static_cast<size_t>(b)];
  if (--block.refs > 0) return;
  if (block.hashed) {
    pushBack(b);
  } else {
    pushFront(b);
  }
}

bool KvCache::registerHash(BlockId b, uint64_t hash) {
  Block& block = blocks_[static_cast<size_t>(b)];
  if (block.hashed) return false;
  if (!index_.emplace(hash, b).second) return false;  // another block serves this prefix
  block.hash = hash;
  block.hashed = true;
  return true;
}

void KvCache::dropUnreferencedCache() {
  for (BlockId b = head_; b != kNone; b = blocks_[static_cast<size_t>(b)].next) forget(b);
}

void KvCache::forget(BlockId b) {
  Block& block = blocks_[static_cast<size_t>(b)];
  if (!block.hashed) return;
  index_.erase(block.hash);
  block.hashed = false;
  if (onForget_) onForget_(block.hash);
}

void KvCache::unlink(BlockId b) {
  Block& block = blocks_[static_cast<size_t>(b)];
  if (block.prev != kNone) {
    blocks_[static_cast<size_t>(block.prev)].next = block.next;
  } else {
    head_ = block.next;
  }
  if (block.next != kNone) {
    blocks_[static_cast<size_t>(block.next)].prev = block.prev;
  } else {
    tail_ = block.prev;
  }
  block.prev = block.next = kNone;
  --freeCount_;
}

void KvCache::pushBack(BlockId b) {
  Block& block = blocks_[static_cast<size_t>(b)];
  block.prev = tail_;
  block.next = kNone;
  if (tail_ != kNone) {
    blocks_[static_cast<size_t>(tail_)].next = b;
  } else {
    head_ = b;
  }
  tail_ = b;
  ++freeCount_;
}

void KvCache::pushFront(BlockId b) {
  Block& block = blocks_[static_cast<size_t>(b)];
  block.next = head_;
  block.prev = kNone;
  if (head_ != kNone) {
    blocks_[static_cast<size_t>(head_)].prev = b;
  } else {
    tail_ = b;
  }
  head_ = b;
  ++freeCount_;
}

}  // namespace epp::sim

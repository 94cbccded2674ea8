#include "plugins/scorer/prefix_cache/prefix_index.h"

#include <algorithm>

namespace epp::plugins {

void PrefixIndex::match(std::span<const uint64_t> hashes, std::span<const uint64_t> endpointIds,
                        std::span<size_t> matched) const {
  std::fill(matched.begin(), matched.end(), 0);
  for (size_t block = 0; block < hashes.size(); ++block) {
    auto found = holders_.find(hashes[block]);
    if (found == holders_.end()) return;
    bool extended = false;
    for (size_t i = 0; i < endpointIds.size(); ++i) {
      if (matched[i] != block) continue;  // this endpoint already missed an earlier block
      for (const Holder& holder : found->second) {
        if (holder.endpointId == endpointIds[i]) {
          ++matched[i];
          extended = true;
          break;
        }
      }
    }
    if (!extended) return;
  }
}

void PrefixIndex::insert(uint64_t endpointId, std::span<const uint64_t> hashes, size_t capacity) {
  if (hashes.empty() || capacity == 0) return;
  Lru& lru = lrus_[endpointId];
  // Last block first, so that the first block ends up the most recently used.
  for (auto hash = hashes.rbegin(); hash != hashes.rend(); ++hash) {
    std::vector<Holder>& holders = holders_[*hash];
    auto held = std::find_if(holders.begin(), holders.end(),
                             [&](const Holder& h) { return h.endpointId == endpointId; });
    if (held != holders.end()) {
      unlink(lru, held->node);
      pushFront(lru, held->node);
      continue;
    }
    uint32_t node = lru.freeNodes;
    if (node != kNil) {
      lru.freeNodes = lru.nodes[node].next;
    } else {
      node = static_cast<uint32_t>(lru.nodes.size());
      lru.nodes.emplace_back();
    }
    lru.nodes[node].hash = *hash;
    pushFront(lru, node);
    holders.push_back({endpointId, node});
    ++lru.size;
    ++size_;
    // Evicting at once keeps the slab within the capacity even for a request longer than it.
    // The victim is never the block just added (capacity >= 1), so `holders` stays valid:
    // erasing other keys of an unordered_map leaves references to the rest untouched.
    while (lru.size > capacity) evictOldest(endpointId, lru);
  }
  // The capacity may have shrunk (autoTune follows the engine) while every block was known.
  while (lru.size > capacity) evictOldest(endpointId, lru);
}

void PrefixIndex::removeEndpoint(uint64_t endpointId) {
  auto found = lrus_.find(endpointId);
  if (found == lrus_.end()) return;
  const Lru& lru = found->second;
  for (uint32_t node = lru.head; node != kNil; node = lru.nodes[node].next) {
    dropHolder(lru.nodes[node].hash, endpointId);
  }
  size_ -= lru.size;
  lrus_.erase(found);
}

size_t PrefixIndex::endpointSize(uint64_t endpointId) const {
  auto found = lrus_.find(endpointId);
  return found == lrus_.end() ? 0 : found->second.size;
}

bool PrefixIndex::contains(uint64_t endpointId, uint64_t hash) const {
  auto found = holders_.find(hash);
  if (found == holders_.end()) return false;
  return std::any_of(found->second.begin(), found->second.end(),
                     [&](const Holder& h) { return h.endpointId == endpointId; });
}

std::vector<uint64_t> PrefixIndex::endpointIds() const {
  std::vector<uint64_t> ids;
  ids.reserve(lrus_.size());
  for (const auto& [id, lru] : lrus_) {
    if (lru.size > 0) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<uint64_t> PrefixIndex::blocks(uint64_t endpointId) const {
  std::vector<uint64_t> out;
  auto found = lrus_.find(endpointId);
  if (found == lrus_.end()) return out;
  const Lru& lru = found->second;
  out.reserve(lru.size);
  for (uint32_t node = lru.head; node != kNil; node = lru.nodes[node].next) {
    out.push_back(lru.nodes[node].hash);
  }
  return out;
}

void PrefixIndex::unlink(Lru& lru, uint32_t node) {
  Node& n = lru.nodes[node];
  if (n.prev != kNil) {
    lru.nodes[n.prev].next = n.next;
  } else {
    lru.head = n.next;
  }
  if (n.next != kNil) {
    lru.nodes[n.next].prev = n.prev;
  } else {
    lru.tail = n.prev;
  }
  n.prev = n.next = kNil;
}

void PrefixIndex::pushFront(Lru& lru, uint32_t node) {
  Node& n = lru.nodes[node];
  n.prev = kNil;
  n.next = lru.head;
  if (lru.head != kNil) lru.nodes[lru.head].prev = node;
  lru.head = node;
  if (lru.tail == kNil) lru.tail = node;
}

void PrefixIndex::evictOldest(uint64_t endpointId, Lru& lru) {
  const uint32_t node = lru.tail;
  const uint64_t hash = lru.nodes[node].hash;
  unlink(lru, node);
  lru.nodes[node].next = lru.freeNodes;
  lru.freeNodes = node;
  --lru.size;
  --size_;
  dropHolder(hash, endpointId);
}

void PrefixIndex::dropHolder(uint64_t hash, uint64_t endpointId) {
  auto found = holders_.find(hash);
  if (found == holders_.end()) return;
  std::vector<Holder>& holders = found->second;
  auto held = std::find_if(holders.begin(), holders.end(),
                           [&](const Holder& h) { return h.endpointId == endpointId; });
  if (held == holders.end()) return;
  *held = holders.back();
  holders.pop_back();
  if (holders.empty()) holders_.erase(found);
}

}  // namespace epp::plugins

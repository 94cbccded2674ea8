#include "plugins/scorer/prefix_cache/prefix_index.h"

#include <algorithm>
#include <bit>

namespace epp::plugins {
namespace {

constexpr size_t kInitialBuckets = 1024;

}  // namespace

void PrefixIndex::match(std::span<const uint64_t> hashes, std::span<const uint64_t> endpointIds,
                        std::span<size_t> matched) const {
  std::fill(matched.begin(), matched.end(), 0);
  if (hashes.empty() || size_ == 0) return;
  // Which candidate each LRU belongs to. Per thread, so concurrent matches share nothing and
  // a request allocates nothing once the thread has seen the largest pool.
  thread_local std::vector<uint32_t> candidateOf;
  candidateOf.assign(lrus_.size(), kNil);
  bool any = false;
  for (size_t i = 0; i < endpointIds.size(); ++i) {
    const uint32_t slot = slotOf(endpointIds[i]);
    if (slot == kNil) continue;
    candidateOf[slot] = static_cast<uint32_t>(i);
    any = true;
  }
  if (!any) return;
  for (size_t block = 0; block < hashes.size(); ++block) {
    const uint64_t hash = hashes[block];
    bool extended = false;
    for (uint32_t e = buckets_[bucketOf(hash)]; e != kNil; e = entries_[e].chain) {
      const Entry& entry = entries_[e];
      if (entry.hash != hash) continue;
      const uint32_t candidate = candidateOf[entry.slot];
      // A candidate that missed an earlier block stays where it stopped.
      if (candidate == kNil || matched[candidate] != block) continue;
      matched[candidate] = block + 1;
      extended = true;
    }
    if (!extended) return;
  }
}

void PrefixIndex::insert(uint64_t endpointId, std::span<const uint64_t> hashes, size_t capacity) {
  if (hashes.empty() || capacity == 0) return;
  const uint32_t slot = slotFor(endpointId);
  // Last block first, so that the first block ends up the most recently used.
  for (auto hash = hashes.rbegin(); hash != hashes.rend(); ++hash) {
    uint32_t e = find(*hash, slot);
    if (e != kNil) {
      unlink(lrus_[slot], e);
      pushFront(lrus_[slot], e);
      continue;
    }
    if (size_ >= buckets_.size()) growBuckets();
    e = allocate();
    Entry& entry = entries_[e];
    const uint32_t bucket = bucketOf(*hash);
    entry = {*hash, slot, kNil, kNil, buckets_[bucket]};
    buckets_[bucket] = e;
    Lru& lru = lrus_[slot];
    pushFront(lru, e);
    ++lru.size;
    ++size_;
    // Evicting at once keeps the slab within the capacities even for a request longer than
    // one; the victim is never the block just added (capacity >= 1).
    while (lru.size > capacity) evictOldest(lru);
  }
  // The capacity may have shrunk (autoTune follows the engine) while every block was known.
  Lru& lru = lrus_[slot];
  while (lru.size > capacity) evictOldest(lru);
}

void PrefixIndex::removeEndpoint(uint64_t endpointId) {
  auto found = slots_.find(endpointId);
  if (found == slots_.end()) return;
  const uint32_t slot = found->second;
  Lru& lru = lrus_[slot];
  while (lru.tail != kNil) evictOldest(lru);
  lru = Lru{};
  freeSlots_.push_back(slot);
  slots_.erase(found);
}

size_t PrefixIndex::endpointSize(uint64_t endpointId) const {
  const uint32_t slot = slotOf(endpointId);
  return slot == kNil ? 0 : lrus_[slot].size;
}

bool PrefixIndex::contains(uint64_t endpointId, uint64_t hash) const {
  const uint32_t slot = slotOf(endpointId);
  return slot != kNil && find(hash, slot) != kNil;
}

size_t PrefixIndex::memoryBytes() const {
  // An unordered_map node: the pair, the next pointer and the cached hash, plus its bucket.
  constexpr size_t kSlotNode = sizeof(std::pair<const uint64_t, uint32_t>) + 2 * sizeof(void*);
  return entries_.capacity() * sizeof(Entry) + buckets_.capacity() * sizeof(uint32_t) +
         lrus_.capacity() * sizeof(Lru) + freeSlots_.capacity() * sizeof(uint32_t) +
         slots_.size() * kSlotNode + slots_.bucket_count() * sizeof(void*);
}

std::vector<uint64_t> PrefixIndex::endpointIds() const {
  std::vector<uint64_t> ids;
  ids.reserve(slots_.size());
  for (const auto& [id, slot] : slots_) {
    if (lrus_[slot].size > 0) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<uint64_t> PrefixIndex::blocks(uint64_t endpointId) const {
  std::vector<uint64_t> out;
  const uint32_t slot = slotOf(endpointId);
  if (slot == kNil) return out;
  const Lru& lru = lrus_[slot];
  out.reserve(lru.size);
  for (uint32_t e = lru.head; e != kNil; e = entries_[e].next) out.push_back(entries_[e].hash);
  return out;
}

uint32_t PrefixIndex::find(uint64_t hash, uint32_t slot) const {
  if (buckets_.empty()) return kNil;
  for (uint32_t e = buckets_[bucketOf(hash)]; e != kNil; e = entries_[e].chain) {
    if (entries_[e].hash == hash && entries_[e].slot == slot) return e;
  }
  return kNil;
}

uint32_t PrefixIndex::slotOf(uint64_t endpointId) const {
  auto found = slots_.find(endpointId);
  return found == slots_.end() ? kNil : found->second;
}

uint32_t PrefixIndex::slotFor(uint64_t endpointId) {
  auto [it, added] = slots_.try_emplace(endpointId, kNil);
  if (!added) return it->second;
  if (!freeSlots_.empty()) {
    it->second = freeSlots_.back();
    freeSlots_.pop_back();
  } else {
    it->second = static_cast<uint32_t>(lrus_.size());
    lrus_.emplace_back();
  }
  return it->second;
}

uint32_t PrefixIndex::allocate() {
  if (freeEntries_ != kNil) {
    const uint32_t e = freeEntries_;
    freeEntries_ = entries_[e].next;
    return e;
  }
  entries_.emplace_back();
  return static_cast<uint32_t>(entries_.size() - 1);
}

void PrefixIndex::release(uint32_t entry) {
  entries_[entry] = Entry{};
  entries_[entry].next = freeEntries_;
  freeEntries_ = entry;
}

void PrefixIndex::unchain(uint32_t entry) {
  uint32_t* link = &buckets_[bucketOf(entries_[entry].hash)];
  while (*link != entry) link = &entries_[*link].chain;
  *link = entries_[entry].chain;
}

void PrefixIndex::growBuckets() {
  buckets_.assign(std::max(kInitialBuckets, buckets_.size() * 2), kNil);
  bucketShift_ = 64 - std::countr_zero(buckets_.size());
  for (uint32_t e = 0; e < entries_.size(); ++e) {
    Entry& entry = entries_[e];
    if (entry.slot == kNil) continue;
    const uint32_t bucket = bucketOf(entry.hash);
    entry.chain = buckets_[bucket];
    buckets_[bucket] = e;
  }
}

void PrefixIndex::unlink(Lru& lru, uint32_t entry) {
  Entry& n = entries_[entry];
  if (n.prev != kNil) {
    entries_[n.prev].next = n.next;
  } else {
    lru.head = n.next;
  }
  if (n.next != kNil) {
    entries_[n.next].prev = n.prev;
  } else {
    lru.tail = n.prev;
  }
  n.prev = n.next = kNil;
}

void PrefixIndex::pushFront(Lru& lru, uint32_t entry) {
  Entry& n = entries_[entry];
  n.prev = kNil;
  n.next = lru.head;
  if (lru.head != kNil) entries_[lru.head].prev = entry;
  lru.head = entry;
  if (lru.tail == kNil) lru.tail = entry;
}

void PrefixIndex::evictOldest(Lru& lru) {
  const uint32_t entry = lru.tail;
  unlink(lru, entry);
  unchain(entry);
  release(entry);
  --lru.size;
  --size_;
}

}  // namespace epp::plugins

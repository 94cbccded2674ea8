#include "plugins/picker/consistent_hash_picker/hash_ring.h"

#include <xxhash.h>

#include <algorithm>

namespace epp::plugins {

HashRing::HashRing(std::vector<uint64_t> memberKeys, uint32_t virtualNodes)
    : memberKeys_(std::move(memberKeys)) {
  points_.reserve(memberKeys_.size() * virtualNodes);
  for (uint32_t m = 0; m < memberKeys_.size(); ++m) {
    for (uint32_t v = 0; v < virtualNodes; ++v) {
      // The seed tells the virtual nodes of one member apart; positions depend on the key
      // alone, so every eppd replica builds the same ring from the same endpoints.
      points_.emplace_back(XXH64(&memberKeys_[m], sizeof(uint64_t), v), m);
    }
  }
  std::sort(points_.begin(), points_.end());
}

size_t HashRing::start(uint64_t hash) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(hash, uint32_t{0}));
  return it == points_.end() ? 0 : static_cast<size_t>(it - points_.begin());
}

std::shared_ptr<const HashRing> HashRingCache::get(std::span<const uint64_t> memberKeys) {
  const uint64_t fingerprint = XXH64(memberKeys.data(), memberKeys.size_bytes(), 0);
  auto same = [&](const Entry& e) {
    return e.fingerprint == fingerprint &&
           std::equal(memberKeys.begin(), memberKeys.end(), e.ring->memberKeys().begin(),
                      e.ring->memberKeys().end());
  };
  {
    std::lock_guard lock(mutex_);
    for (Entry& e : entries_) {
      if (same(e)) {
        e.lastUse = ++clock_;
        return e.ring;
      }
    }
  }
  // Built outside the lock: requests over other sets are not held up by this one.
  auto ring = std::make_shared<const HashRing>(
      std::vector<uint64_t>(memberKeys.begin(), memberKeys.end()), virtualNodes_);
  std::lock_guard lock(mutex_);
  for (Entry& e : entries_) {
    if (same(e)) return e.ring;  // another request built it meanwhile
  }
  if (entries_.size() < kCapacity) {
    entries_.push_back({fingerprint, ++clock_, ring});
  } else {
    auto oldest =
        std::min_element(entries_.begin(), entries_.end(),
                         [](const auto& a, const auto& b) { return a.lastUse < b.lastUse; });
    *oldest = {fingerprint, ++clock_, ring};
  }
  return ring;
}

}  // namespace epp::plugins

#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

namespace epp::plugins {

// A consistent-hash ring over a set of members, each given by a 64-bit key (a hash of the
// endpoint's identity) and placed at `virtualNodes` points. Immutable once built.
class HashRing {
 public:
  // `memberKeys` must be sorted; member i of the ring is memberKeys[i].
  HashRing(std::vector<uint64_t> memberKeys, uint32_t virtualNodes);

  const std::vector<uint64_t>& memberKeys() const { return memberKeys_; }
  size_t pointCount() const { return points_.size(); }

  // The first point at or after `hash` (wrapping around); walk on with memberAtPoint.
  size_t start(uint64_t hash) const;
  // The member at point `point` modulo the point count.
  uint32_t memberAtPoint(size_t point) const { return points_[point % points_.size()].second; }

 private:
  std::vector<uint64_t> memberKeys_;
  std::vector<std::pair<uint64_t, uint32_t>> points_;  // (position, member), sorted
};

// The last few rings built, by member set: candidate sets repeat from one request to the
// next (the whole pool, or what the same filters left), so a ring is built once per set, not
// once per request.
class HashRingCache {
 public:
  explicit HashRingCache(uint32_t virtualNodes) : virtualNodes_(virtualNodes) {}

  // The ring of exactly these (sorted) member keys.
  std::shared_ptr<const HashRing> get(std::span<const uint64_t> memberKeys);

 private:
  static constexpr size_t kCapacity = 8;
  struct Entry {
    uint64_t fingerprint;
    uint64_t lastUse;
    std::shared_ptr<const HashRing> ring;
  };
  uint32_t virtualNodes_;
  std::mutex mutex_;
  std::vector<Entry> entries_;
  uint64_t clock_ = 0;
};

}  // namespace epp::plugins

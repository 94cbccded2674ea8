#include "plugins/scorer/prefix_cache/prefix_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <map>
#include <random>
#include <vector>

namespace epp::plugins {
namespace {

std::vector<size_t> matchAll(const PrefixIndex& index, const std::vector<uint64_t>& hashes,
                             const std::vector<uint64_t>& ids) {
  std::vector<size_t> matched(ids.size(), 99);
  index.match(hashes, ids, matched);
  return matched;
}

TEST(PrefixIndexTest, EmptyIndexMatchesNothing) {
  PrefixIndex index;
  EXPECT_EQ(matchAll(index, {1, 2, 3}, {10, 20}), (std::vector<size_t>{0, 0}));
  EXPECT_EQ(matchAll(index, {}, {10}), (std::vector<size_t>{0}));
  EXPECT_EQ(index.size(), 0u);
}

TEST(PrefixIndexTest, MatchesLeadingBlocksPerEndpoint) {
  PrefixIndex index;
  index.insert(10, std::vector<uint64_t>{1, 2, 3, 4}, 100);
  index.insert(20, std::vector<uint64_t>{1, 2}, 100);
  EXPECT_EQ(matchAll(index, {1, 2, 3, 4, 5}, {10, 20, 30}), (std::vector<size_t>{4, 2, 0}));
  EXPECT_EQ(matchAll(index, {1, 2, 9, 4}, {10, 20}), (std::vector<size_t>{2, 2}));
  EXPECT_EQ(matchAll(index, {9, 2, 3}, {10, 20}), (std::vector<size_t>{0, 0}));
  EXPECT_EQ(index.size(), 6u);
  EXPECT_EQ(index.endpointCount(), 2u);
}

TEST(PrefixIndexTest, MatchingStopsAtAnEndpointsFirstMissingBlock) {
  PrefixIndex index;
  index.insert(10, std::vector<uint64_t>{2, 3}, 100);  // holds blocks 2 and 3, not block 1
  index.insert(20, std::vector<uint64_t>{1}, 100);
  EXPECT_EQ(matchAll(index, {1, 2, 3}, {10, 20}), (std::vector<size_t>{0, 1}));
}

TEST(PrefixIndexTest, EvictsLeastRecentlyUsedRequestsFirst) {
  PrefixIndex index;
  index.insert(10, std::vector<uint64_t>{1, 2}, 4);
  index.insert(10, std::vector<uint64_t>{3, 4}, 4);
  index.insert(10, std::vector<uint64_t>{5, 6}, 4);  // evicts 1 and 2
  EXPECT_FALSE(index.contains(10, 1));
  EXPECT_FALSE(index.contains(10, 2));
  EXPECT_TRUE(index.contains(10, 3));
  EXPECT_TRUE(index.contains(10, 6));
  EXPECT_EQ(index.endpointSize(10), 4u);
  EXPECT_EQ(index.size(), 4u);
}

TEST(PrefixIndexTest, ReinsertingRefreshesRecency) {
  PrefixIndex index;
  index.insert(10, std::vector<uint64_t>{1, 2}, 4);
  index.insert(10, std::vector<uint64_t>{3, 4}, 4);
  index.insert(10, std::vector<uint64_t>{1, 2}, 4);  // 1, 2 are now the freshest
  index.insert(10, std::vector<uint64_t>{5, 6}, 4);  // evicts 3 and 4
  EXPECT_TRUE(index.contains(10, 1));
  EXPECT_TRUE(index.contains(10, 2));
  EXPECT_FALSE(index.contains(10, 3));
  EXPECT_FALSE(index.contains(10, 4));
  EXPECT_EQ(index.size(), 4u);
}

TEST(PrefixIndexTest, ARequestLongerThanTheCapacityKeepsItsLeadingBlocks) {
  PrefixIndex index;
  index.insert(10, std::vector<uint64_t>{1, 2, 3, 4, 5}, 3);
  EXPECT_EQ(matchAll(index, {1, 2, 3, 4, 5}, {10}), (std::vector<size_t>{3}));
  EXPECT_EQ(index.endpointSize(10), 3u);
}

TEST(PrefixIndexTest, ATailIsEvictedBeforeItsHead) {
  PrefixIndex index;
  index.insert(10, std::vector<uint64_t>{1, 2, 3}, 4);
  index.insert(10, std::vector<uint64_t>{7}, 4);
  index.insert(10, std::vector<uint64_t>{8}, 4);  // evicts block 3, the oldest tail
  EXPECT_EQ(matchAll(index, {1, 2, 3}, {10}), (std::vector<size_t>{2}));
}

TEST(PrefixIndexTest, AShrunkCapacityEvictsOnTheNextInsert) {
  PrefixIndex index;
  index.insert(10, std::vector<uint64_t>{1, 2, 3, 4}, 10);
  index.insert(10, std::vector<uint64_t>{1, 2}, 2);
  EXPECT_EQ(index.endpointSize(10), 2u);
  EXPECT_EQ(matchAll(index, {1, 2, 3}, {10}), (std::vector<size_t>{2}));
}

TEST(PrefixIndexTest, EvictionOnOneEndpointLeavesOthersHoldingTheBlock) {
  PrefixIndex index;
  index.insert(10, std::vector<uint64_t>{1}, 1);
  index.insert(20, std::vector<uint64_t>{1}, 1);
  index.insert(10, std::vector<uint64_t>{2}, 1);
  EXPECT_FALSE(index.contains(10, 1));
  EXPECT_TRUE(index.contains(20, 1));
  EXPECT_EQ(matchAll(index, {1}, {10, 20}), (std::vector<size_t>{0, 1}));
}

TEST(PrefixIndexTest, RemoveEndpointDropsOnlyItsEntries) {
  PrefixIndex index;
  index.insert(10, std::vector<uint64_t>{1, 2, 3}, 100);
  index.insert(20, std::vector<uint64_t>{1, 2}, 100);
  index.removeEndpoint(10);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.endpointSize(10), 0u);
  EXPECT_EQ(index.endpointCount(), 1u);
  EXPECT_FALSE(index.contains(10, 1));
  EXPECT_FALSE(index.contains(10, 3));
  EXPECT_EQ(matchAll(index, {1, 2, 3}, {10, 20}), (std::vector<size_t>{0, 2}));
  index.removeEndpoint(10);  // unknown: no-op
  index.removeEndpoint(20);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_FALSE(index.contains(20, 1));
}

TEST(PrefixIndexTest, EmptyInsertCreatesNothing) {
  PrefixIndex index;
  index.insert(10, {}, 5);
  EXPECT_EQ(index.endpointCount(), 0u);
}

// Random operations against a plain list-per-endpoint model of the same rules.
// Random inserts and removals, checked against a list-per-endpoint LRU: sizes, membership,
// recency order and matches.
void agreesWithASimpleModel(size_t capacity, uint64_t endpoints, uint64_t hashRange, int steps) {
  PrefixIndex index;
  std::map<uint64_t, std::list<uint64_t>> model;  // front = most recent
  std::mt19937_64 rng(1234);
  for (int step = 0; step < steps; ++step) {
    const uint64_t endpoint = 1 + rng() % endpoints;
    if (rng() % 50 == 0) {
      index.removeEndpoint(endpoint);
      model.erase(endpoint);
      continue;
    }
    std::vector<uint64_t> hashes(1 + rng() % 8);
    for (auto& h : hashes) h = rng() % hashRange;
    index.insert(endpoint, hashes, capacity);
    auto& lru = model[endpoint];
    for (auto h = hashes.rbegin(); h != hashes.rend(); ++h) {
      lru.remove(*h);
      lru.push_front(*h);
      while (lru.size() > capacity) lru.pop_back();
    }
  }
  size_t total = 0;
  std::vector<uint64_t> ids;
  for (uint64_t endpoint = 1; endpoint <= endpoints; ++endpoint) {
    const auto& lru = model[endpoint];
    ids.push_back(endpoint);
    total += lru.size();
    EXPECT_EQ(index.endpointSize(endpoint), lru.size());
    EXPECT_LE(index.endpointSize(endpoint), capacity);
    EXPECT_EQ(index.blocks(endpoint), std::vector<uint64_t>(lru.begin(), lru.end()));
    for (uint64_t h = 0; h < hashRange; ++h) {
      ASSERT_EQ(index.contains(endpoint, h), std::find(lru.begin(), lru.end(), h) != lru.end())
          << "endpoint " << endpoint << " hash " << h;
    }
  }
  EXPECT_EQ(index.size(), total);
  for (int probe = 0; probe < 200; ++probe) {
    std::vector<uint64_t> hashes(1 + rng() % 6);
    for (auto& h : hashes) h = rng() % hashRange;
    const std::vector<size_t> matched = matchAll(index, hashes, ids);
    for (size_t i = 0; i < ids.size(); ++i) {
      const auto& lru = model[ids[i]];
      size_t expected = 0;
      while (expected < hashes.size() &&
             std::find(lru.begin(), lru.end(), hashes[expected]) != lru.end()) {
        ++expected;
      }
      ASSERT_EQ(matched[i], expected) << "endpoint " << ids[i];
    }
  }
}

TEST(PrefixIndexTest, AgreesWithASimpleModel) { agreesWithASimpleModel(6, 4, 24, 5000); }

// Thousands of entries: the bucket array grows (from 1,024) while entries are evicted and
// endpoints removed.
TEST(PrefixIndexTest, AgreesWithASimpleModelAcrossBucketGrowth) {
  agreesWithASimpleModel(700, 8, 4000, 20000);
}

// The bound: at most 64 bytes per (endpoint, block) entry, allocated capacity
// included, in a full index.
TEST(PrefixIndexTest, AFullIndexTakesAtMost64BytesPerEntry) {
  PrefixIndex index;
  std::mt19937_64 rng(5);
  std::vector<uint64_t> blocks(256);
  for (uint64_t endpoint = 1; endpoint <= 16; ++endpoint) {
    for (int request = 0; request < 40; ++request) {
      for (auto& b : blocks) b = rng();
      index.insert(endpoint, blocks, 10'000);
    }
  }
  ASSERT_EQ(index.size(), 16u * 10'000u);
  EXPECT_LE(static_cast<double>(index.memoryBytes()) / static_cast<double>(index.size()), 64.0);
}

}  // namespace
}  // namespace epp::plugins

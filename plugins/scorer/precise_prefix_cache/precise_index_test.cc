// The precise block index under interleaved stores, removals, clears and eviction.
#include "plugins/scorer/precise_prefix_cache/precise_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>

namespace epp::plugins {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr int32_t kBlock = 4;
const uint64_t kRoot = rootBlockKey("42", "llama");

// Tokens of `blocks` whole blocks, block b holding b*10 .. b*10+3.
std::vector<uint32_t> tokens(size_t blocks, uint32_t salt = 0) {
  std::vector<uint32_t> t;
  for (uint32_t b = 0; b < blocks; ++b) {
    for (uint32_t i = 0; i < kBlock; ++i) t.push_back(salt + b * 10 + i);
  }
  return t;
}

std::vector<uint64_t> keysOf(const std::vector<uint32_t>& t) {
  std::vector<uint64_t> keys;
  blockKeys(kRoot, t, kBlock, 1000, keys);
  return keys;
}

std::unordered_map<uint64_t, double> prefix(const PreciseIndex& index,
                                            const std::vector<uint64_t>& keys, int64_t nowNs = 0) {
  std::unordered_map<uint64_t, double> out;
  index.longestPrefix(keys, out, nowNs);
  return out;
}

PreciseIndex::Options options(size_t maxKeys = 1000, size_t perKey = 10) {
  return {.maxKeys = maxKeys, .maxEndpointsPerKey = perKey, .blockSize = kBlock};
}

TEST(PreciseIndexTest, KeysChainAndDependOnSeedModelAndTokens) {
  auto t = tokens(3);
  auto keys = keysOf(t);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[1], blockKey(blockKey(kRoot, std::span(t).first(4)), std::span(t).subspan(4, 4)));
  EXPECT_NE(rootBlockKey("42", "llama"), rootBlockKey("43", "llama"));
  EXPECT_NE(rootBlockKey("42", "llama"), rootBlockKey("42", "qwen"));
  std::vector<uint64_t> partial;
  blockKeys(kRoot, std::span(t).first(7), kBlock, 1000, partial);
  EXPECT_EQ(partial.size(), 1u) << "only whole blocks";
}

TEST(PreciseIndexTest, StoredBlocksAcrossEventsChainThroughTheEngineParent) {
  PreciseIndex index(options());
  auto t = tokens(4);
  // The engine stores blocks 0-1, then 2-3 as a child of its block hash 0xB.
  auto a = index.blockStored(1, kRoot, std::nullopt, std::vector<uint64_t>{0xA, 0xB},
                             std::span(t).first(8), kBlock, EPP_KV_MEDIUM_GPU);
  auto b = index.blockStored(1, kRoot, 0xB, std::vector<uint64_t>{0xC, 0xD},
                             std::span(t).subspan(8), kBlock, EPP_KV_MEDIUM_GPU);
  EXPECT_EQ(a.stored + b.stored, 4u);
  // Endpoint 2 holds the first block only, on CPU.
  index.blockStored(2, kRoot, std::nullopt, std::vector<uint64_t>{0x1A}, std::span(t).first(4),
                    kBlock, EPP_KV_MEDIUM_CPU);
  EXPECT_THAT(prefix(index, keysOf(t)), UnorderedElementsAre(Pair(1, 4.0), Pair(2, 0.8)));
  // A request that diverges after block 1 matches two blocks on endpoint 1.
  auto other = t;
  other[9] = 999;
  EXPECT_THAT(prefix(index, keysOf(other)), UnorderedElementsAre(Pair(1, 2.0), Pair(2, 0.8)));
  EXPECT_EQ(index.keyCount(), 4u);
}

TEST(PreciseIndexTest, UnknownParentIsAnOrphanAndWrongBlockSizeIsRefused) {
  PreciseIndex index(options());
  auto t = tokens(2);
  auto o = index.blockStored(1, kRoot, 0x77, std::vector<uint64_t>{0xA}, std::span(t).first(4),
                             kBlock, EPP_KV_MEDIUM_GPU);
  EXPECT_EQ(o.orphans, 1u);
  auto m = index.blockStored(1, kRoot, std::nullopt, std::vector<uint64_t>{0xA}, t, 8,
                             EPP_KV_MEDIUM_GPU);
  EXPECT_EQ(m.blockSizeMismatch, 1u);
  auto n = index.blockStored(1, kRoot, std::nullopt, std::vector<uint64_t>{0xA, 0xB},
                             std::span(t).first(4), kBlock, EPP_KV_MEDIUM_GPU);
  EXPECT_EQ(n.blockSizeMismatch, 1u) << "token count must be hashes x block size";
  EXPECT_EQ(index.keyCount(), 0u);
}

TEST(PreciseIndexTest, RemovalBreaksTheRunAndMediumsAreRemovedOneByOne) {
  PreciseIndex index(options());
  auto t = tokens(3);
  std::vector<uint64_t> hashes{0xA, 0xB, 0xC};
  index.blockStored(1, kRoot, std::nullopt, hashes, t, kBlock, EPP_KV_MEDIUM_GPU);
  index.blockStored(1, kRoot, std::nullopt, std::vector<uint64_t>{0xA}, std::span(t).first(4),
                    kBlock, EPP_KV_MEDIUM_CPU);  // offloaded copy of block 0
  EXPECT_THAT(prefix(index, keysOf(t)), UnorderedElementsAre(Pair(1, 3.0)));
  // Block 1 evicted from the GPU: the run stops after block 0.
  EXPECT_EQ(index.blockRemoved(1, std::vector<uint64_t>{0xB}, EPP_KV_MEDIUM_GPU).removed, 1u);
  EXPECT_THAT(prefix(index, keysOf(t)), UnorderedElementsAre(Pair(1, 1.0)));
  // Block 0 leaves the GPU but stays on CPU.
  EXPECT_EQ(index.blockRemoved(1, std::vector<uint64_t>{0xA}, EPP_KV_MEDIUM_GPU).removed, 0u);
  EXPECT_THAT(prefix(index, keysOf(t)), UnorderedElementsAre(Pair(1, 0.8)));
  index.blockRemoved(1, std::vector<uint64_t>{0xA, 0xFFFF}, EPP_KV_MEDIUM_CPU);
  EXPECT_TRUE(prefix(index, keysOf(t)).empty());
  EXPECT_EQ(index.keyCount(), 1u) << "block 2 is still held";
  EXPECT_EQ(index.endpointBlockCount(1), 1u);
}

TEST(PreciseIndexTest, ClearingAnEndpointLeavesTheOthers) {
  PreciseIndex index(options());
  auto t = tokens(2);
  index.blockStored(1, kRoot, std::nullopt, std::vector<uint64_t>{1, 2}, t, kBlock,
                    EPP_KV_MEDIUM_GPU);
  index.blockStored(2, kRoot, std::nullopt, std::vector<uint64_t>{8, 9}, t, kBlock,
                    EPP_KV_MEDIUM_GPU);
  index.clearEndpoint(1);
  EXPECT_THAT(prefix(index, keysOf(t)), UnorderedElementsAre(Pair(2, 2.0)));
  EXPECT_EQ(index.endpointBlockCount(1), 0u);
  index.clearEndpoint(2);
  EXPECT_EQ(index.keyCount(), 0u);
  index.clearEndpoint(3);  // unknown: nothing happens
}

TEST(PreciseIndexTest, MemoryIsBoundedByLeastRecentlyStoredEviction) {
  PreciseIndex index(options(/*maxKeys=*/4, /*perKey=*/2));
  auto first = tokens(2, 0), second = tokens(2, 1000), third = tokens(2, 2000);
  index.blockStored(1, kRoot, std::nullopt, std::vector<uint64_t>{1, 2}, first, kBlock,
                    EPP_KV_MEDIUM_GPU);
  index.blockStored(1, kRoot, std::nullopt, std::vector<uint64_t>{3, 4}, second, kBlock,
                    EPP_KV_MEDIUM_GPU);
  index.blockStored(1, kRoot, std::nullopt, std::vector<uint64_t>{5, 6}, third, kBlock,
                    EPP_KV_MEDIUM_GPU);
  EXPECT_EQ(index.keyCount(), 4u);
  EXPECT_TRUE(prefix(index, keysOf(first)).empty()) << "the oldest prompt was evicted";
  EXPECT_THAT(prefix(index, keysOf(third)), UnorderedElementsAre(Pair(1, 2.0)));
  EXPECT_EQ(index.endpointBlockCount(1), 4u) << "engine mappings of evicted keys go too";
  // A third holder of a key pushes out the oldest holder.
  index.blockStored(2, kRoot, std::nullopt, std::vector<uint64_t>{50}, std::span(third).first(4),
                    kBlock, EPP_KV_MEDIUM_GPU);
  index.blockStored(3, kRoot, std::nullopt, std::vector<uint64_t>{60}, std::span(third).first(4),
                    kBlock, EPP_KV_MEDIUM_GPU);
  EXPECT_THAT(prefix(index, keysOf(third)), UnorderedElementsAre(Pair(2, 1.0), Pair(3, 1.0)));
}

TEST(PreciseIndexTest, SpeculativeEntriesCountUntilTheyExpireOrComeTrue) {
  PreciseIndex index(options());
  auto t = tokens(3);
  auto keys = keysOf(t);
  index.addSpeculative(1, keys, /*nowNs=*/100, /*expiresNs=*/200);
  EXPECT_THAT(prefix(index, keys, 150), UnorderedElementsAre(Pair(1, 3.0)));
  EXPECT_TRUE(prefix(index, keys, 200).empty()) << "expired";
  // The endpoint reports the first two blocks: they stay after the guess expires.
  index.addSpeculative(2, keys, 300, 400);
  index.blockStored(2, kRoot, std::nullopt, std::vector<uint64_t>{7, 8}, std::span(t).first(8),
                    kBlock, EPP_KV_MEDIUM_GPU);
  EXPECT_THAT(prefix(index, keys, 350), UnorderedElementsAre(Pair(2, 3.0)));
  EXPECT_THAT(prefix(index, keys, 500), UnorderedElementsAre(Pair(2, 2.0)));
  // A later sweep drops expired guesses (endpoint 1's, endpoint 2's third block) for good.
  index.addSpeculative(3, std::span(keys).first(1), 600, 700);
  EXPECT_EQ(index.keyCount(), 2u);
  EXPECT_EQ(index.endpointBlockCount(2), 2u);
  // Removal of a confirmed block works as for any other.
  index.blockRemoved(2, std::vector<uint64_t>{8}, EPP_KV_MEDIUM_GPU);
  EXPECT_THAT(prefix(index, keys, 650), UnorderedElementsAre(Pair(2, 1.0), Pair(3, 1.0)));
}

TEST(PreciseIndexTest, InterleavedUpdatesMatchAReferenceModel) {
  // Random stores, removals and clears on 4 endpoints; the index must agree with a plain
  // set-of-blocks model on every endpoint's run for every prompt.
  PreciseIndex index(options(100000));
  std::vector<std::vector<uint32_t>> prompts;
  for (uint32_t p = 0; p < 6; ++p) prompts.push_back(tokens(6, p * 100));
  std::map<uint64_t, std::set<std::pair<size_t, size_t>>> model;  // endpoint -> (prompt, block)
  auto engineHash = [](uint64_t e, size_t p, size_t b) { return e * 1000000 + p * 1000 + b; };
  uint64_t seed = 12345;
  auto next = [&](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  for (int step = 0; step < 3000; ++step) {
    uint64_t e = 1 + next(4);
    size_t p = next(prompts.size());
    uint64_t op = next(10);
    if (op < 6) {  // store the prompt's blocks up to some depth, chained
      size_t depth = 1 + next(6);
      for (size_t b = 0; b < depth; ++b) {
        std::optional<uint64_t> parent;
        if (b > 0) parent = engineHash(e, p, b - 1);
        if (b > 0 && !model[e].count({p, b - 1})) break;  // the engine has no parent
        index.blockStored(e, kRoot, parent, std::vector<uint64_t>{engineHash(e, p, b)},
                          std::span(prompts[p]).subspan(b * kBlock, kBlock), kBlock,
                          EPP_KV_MEDIUM_GPU);
        model[e].insert({p, b});
      }
    } else if (op < 9) {
      size_t b = next(6);
      index.blockRemoved(e, std::vector<uint64_t>{engineHash(e, p, b)}, EPP_KV_MEDIUM_GPU);
      model[e].erase({p, b});
    } else {
      index.clearEndpoint(e);
      model[e].clear();
    }
    if (step % 50 != 0) continue;
    for (size_t q = 0; q < prompts.size(); ++q) {
      auto got = prefix(index, keysOf(prompts[q]));
      for (uint64_t ep = 1; ep <= 4; ++ep) {
        size_t run = 0;
        while (run < 6 && model[ep].count({q, run})) ++run;
        double have = got.count(ep) ? got[ep] : 0.0;
        ASSERT_DOUBLE_EQ(have, static_cast<double>(run))
            << "step " << step << " prompt " << q << " endpoint " << ep;
      }
    }
  }
}

}  // namespace
}  // namespace epp::plugins

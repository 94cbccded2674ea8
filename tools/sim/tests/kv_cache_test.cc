// The block pool's reference counts, LRU eviction order and prefix index.
#include "tools/sim/engine/kv_cache.h"

#include <gtest/gtest.h>

#include <vector>

#include "tools/sim/engine/prompt_blocks.h"

namespace epp::sim {
namespace {

TEST(SimKvCache, EvictsLeastRecentlyReleasedAndNeverReferencedBlocks) {
  KvCache kv(4);
  EXPECT_EQ(kv.freeBlocks(), 4);
  BlockId a = kv.allocate(), b = kv.allocate(), c = kv.allocate();
  kv.registerHash(a, 100);
  kv.registerHash(b, 200);
  kv.registerHash(c, 300);
  EXPECT_DOUBLE_EQ(kv.usage(), 0.75);
  // Released in order c, a: the queue is [never-used, c, a]; b stays referenced.
  kv.release(c);
  kv.release(a);
  EXPECT_EQ(kv.usedBlocks(), 1);
  std::vector<BlockId> m;
  const std::vector<uint64_t> chain{100, 200, 300};
  kv.matchPrefix(chain, 3, m);
  EXPECT_EQ(m, (std::vector<BlockId>{a, b, c}));
  EXPECT_TRUE(kv.canAllocate(m, 1));  // a and c leave the queue, one block is left
  EXPECT_FALSE(kv.canAllocate(m, 2));
  // Allocation takes the never-used block, then c (released first), then a.
  kv.allocate();
  EXPECT_EQ(kv.allocate(), c);
  kv.matchPrefix(chain, 3, m);
  EXPECT_EQ(m, (std::vector<BlockId>{a, b}));  // 300 was evicted with c
  EXPECT_EQ(kv.cachedBlocks(), 2);
  kv.acquire(a);  // a hit takes a out of the queue
  EXPECT_EQ(kv.freeBlocks(), 0);
  kv.release(a);
  kv.release(b);
  kv.dropUnreferencedCache();
  EXPECT_EQ(kv.cachedBlocks(), 0);
}

TEST(SimKvCache, FirstBlockRegisteredForAHashServesIt) {
  KvCache kv(2);
  BlockId a = kv.allocate(), b = kv.allocate();
  kv.registerHash(a, 7);
  kv.registerHash(b, 7);  // computed twice in parallel: a keeps serving the prefix
  std::vector<BlockId> m;
  kv.matchPrefix(std::vector<uint64_t>{7}, 1, m);
  EXPECT_EQ(m, std::vector<BlockId>{a});
  kv.release(b);  // unnamed: goes to the front, evicted first
  kv.release(a);
  EXPECT_EQ(kv.allocate(), b);
  EXPECT_EQ(kv.cachedBlocks(), 1);
}

TEST(SimPromptBlocks, TokensAndChainedHashesOfWholeBlocks) {
  EXPECT_EQ(estimateTokens("", 4), 1);
  EXPECT_EQ(estimateTokens("abcde", 4), 2);
  std::string p(200, 'x');  // 3 whole 64-character blocks
  std::vector<uint64_t> h1, h2, h3;
  hashPromptBlocks("m", p, 16, 4, h1);
  ASSERT_EQ(h1.size(), 3u);
  EXPECT_NE(h1[0], h1[1]);  // same text, chained: a block's hash names its whole prefix
  hashPromptBlocks("m", p.substr(0, 128) + std::string(72, 'y'), 16, 4, h2);
  EXPECT_EQ(h2[0], h1[0]);
  EXPECT_EQ(h2[1], h1[1]);
  EXPECT_NE(h2[2], h1[2]);
  hashPromptBlocks("other", p, 16, 4, h3);
  EXPECT_NE(h3[0], h1[0]);
}

}  // namespace
}  // namespace epp::sim

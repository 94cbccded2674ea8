#include "plugins/scorer/prefix_cache/prefix_index_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "epp/cpp/core.h"

namespace epp::plugins {
namespace {

// The bytes of a little-endian integer.
std::string le(uint64_t value, size_t bytes) {
  std::string out;
  for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}

std::string header(uint32_t blockSize, uint32_t flags, uint64_t endpoints) {
  return le(blockSize, 4) + le(flags, 4) + le(endpoints, 8);
}

// The message parsePrefixIndex throws for `data`, or "" when it parses.
std::string parseError(const std::string& data) {
  try {
    parsePrefixIndex(data);
    return "";
  } catch (const cpp::Error& e) {
    EXPECT_EQ(e.status(), EPP_ERR_INVALID_ARGUMENT);
    return e.what();
  }
}

// The layout is a contract between library versions: this test pins it byte for byte.
TEST(PrefixIndexCodecTest, V1LayoutIsFixed) {
  PrefixIndex index;
  index.insert(9, std::vector<uint64_t>{0x0102030405060708, 5}, 10);
  index.insert(7, std::vector<uint64_t>{1, 2}, 10);
  index.insert(7, std::vector<uint64_t>{3}, 10);   // 3 is now the most recently used
  const std::string expected = header(16, 1, 2) +  //
                               le(7, 8) + le(3, 8) + le(3, 8) + le(1, 8) + le(2, 8) +  //
                               le(9, 8) + le(2, 8) + le(0x0102030405060708, 8) + le(5, 8);
  EXPECT_EQ(encodePrefixIndex(index, {.blockSizeTokens = 16, .autoTune = true}), expected);
  EXPECT_EQ(kPrefixIndexFormatV1, "prefix-index/v1");
}

TEST(PrefixIndexCodecTest, RoundTripKeepsBlocksAndRecency) {
  PrefixIndex index;
  index.insert(1, std::vector<uint64_t>{10, 11, 12}, 100);
  index.insert(2, std::vector<uint64_t>{10, 20}, 100);
  index.insert(1, std::vector<uint64_t>{13}, 100);
  const std::string bytes = encodePrefixIndex(index, {.blockSizeTokens = 4, .autoTune = false});
  const PrefixIndexImage image = parsePrefixIndex(bytes);
  EXPECT_EQ(image.hashing.blockSizeTokens, 4u);
  EXPECT_FALSE(image.hashing.autoTune);
  ASSERT_EQ(image.endpoints.size(), 2u);

  PrefixIndex rebuilt = buildPrefixIndex(image, 100);
  EXPECT_EQ(rebuilt.size(), index.size());
  EXPECT_EQ(rebuilt.endpointIds(), index.endpointIds());
  EXPECT_EQ(rebuilt.blocks(1), (std::vector<uint64_t>{13, 10, 11, 12}));
  EXPECT_EQ(rebuilt.blocks(2), index.blocks(2));
  // Same recency, so the same victim: at capacity 4, a new block evicts 12, the oldest.
  rebuilt.insert(1, std::vector<uint64_t>{14}, 4);
  EXPECT_EQ(rebuilt.blocks(1), (std::vector<uint64_t>{14, 13, 10, 11}));
}

TEST(PrefixIndexCodecTest, EmptyIndexEncodesAsAHeader) {
  PrefixIndex index;
  const std::string bytes = encodePrefixIndex(index, {.blockSizeTokens = 16, .autoTune = false});
  EXPECT_EQ(bytes, header(16, 0, 0));
  EXPECT_TRUE(parsePrefixIndex(bytes).endpoints.empty());
}

TEST(PrefixIndexCodecTest, BuildKeepsTheMostRecentBlocksWithinTheCapacity) {
  PrefixIndex index;
  index.insert(1, std::vector<uint64_t>{1, 2, 3, 4, 5, 6}, 100);
  // The image views the bytes it was parsed from: they must outlive it (ASan found the
  // temporary this test once parsed).
  const std::string bytes = encodePrefixIndex(index, {.blockSizeTokens = 1, .autoTune = false});
  const PrefixIndexImage image = parsePrefixIndex(bytes);
  PrefixIndex small = buildPrefixIndex(image, 2);
  EXPECT_EQ(small.blocks(1), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(small.size(), 2u);
}

TEST(PrefixIndexCodecTest, MalformedDataIsRefusedWithTheOffset) {
  const std::string one = le(5, 8) + le(1, 8) + le(42, 8);  // endpoint 5, one block
  EXPECT_EQ(parseError(""), "prefix-index/v1: truncated header at byte 0");
  EXPECT_EQ(parseError("garbage"), "prefix-index/v1: truncated header at byte 4");
  EXPECT_EQ(parseError(header(0, 0, 0)), "prefix-index/v1: block size 0 at byte 8");
  EXPECT_EQ(parseError(header(16, 6, 0)), "prefix-index/v1: unknown flags at byte 8");
  EXPECT_EQ(parseError(header(16, 0, 1)), "prefix-index/v1: endpoint count 1 too large at byte 16");
  EXPECT_EQ(parseError(header(16, 0, uint64_t{1} << 62) + one),
            "prefix-index/v1: endpoint count 4611686018427387904 too large at byte 16");
  EXPECT_EQ(parseError(header(16, 0, 1) + le(5, 8) + le(0, 8) + le(0, 8)),
            "prefix-index/v1: endpoint without blocks at byte 32");
  EXPECT_EQ(parseError(header(16, 0, 1) + le(5, 8) + le(4, 8) + le(1, 8)),
            "prefix-index/v1: block count 4 too large at byte 32");
  EXPECT_EQ(parseError(header(16, 0, 2) + one + one),
            "prefix-index/v1: endpoint ids out of order at byte 48");
  EXPECT_EQ(parseError(header(16, 0, 1) + one + "x"),
            "prefix-index/v1: 1 trailing bytes at byte 40");
  EXPECT_EQ(parseError(header(16, 0, 1) + one), "");
}

TEST(PrefixIndexCodecTest, EveryTruncationOfAValidImageIsRefused) {
  PrefixIndex index;
  index.insert(1, std::vector<uint64_t>{1, 2, 3}, 10);
  index.insert(2, std::vector<uint64_t>{4}, 10);
  const std::string bytes = encodePrefixIndex(index, {.blockSizeTokens = 8, .autoTune = false});
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_NE(parseError(bytes.substr(0, length)), "") << "length " << length;
  }
}

}  // namespace
}  // namespace epp::plugins

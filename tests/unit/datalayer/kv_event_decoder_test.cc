// Decoding of KV-event batches written the way vLLM's publisher writes them.
#include "host/datalayer/kv_events/kv_event_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/kv_event_writer.h"

namespace epp::datalayer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::KvBatchWriter;

KvEventBatch decodeOk(const std::string& bytes) {
  auto r = decodeKvEventBatch(std::span<const char>(bytes.data(), bytes.size()));
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? *r : KvEventBatch{};
}

std::string decodeError(const std::string& bytes) {
  auto r = decodeKvEventBatch(std::span<const char>(bytes.data(), bytes.size()));
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error();
}

TEST(KvEventDecoderTest, StoredRemovedAndClearedWithEveryField) {
  KvBatchWriter w(1764950400.25, 3, 2);
  w.stored({0x1111, 0xffffffffffffff00ULL}, 0x99, {1, 2, 3, 4, 5, 6, 7, 8}, 4, 7, "CPU")
      .removed({0x1111}, "GPU")
      .cleared();
  KvEventBatch b = decodeOk(w.bytes());
  EXPECT_DOUBLE_EQ(b.timestamp, 1764950400.25);
  EXPECT_EQ(b.dpRank, 2);
  ASSERT_EQ(b.events.size(), 3u);
  const KvEvent& s = b.events[0];
  EXPECT_EQ(s.type, EPP_KV_BLOCK_STORED);
  EXPECT_THAT(s.blockHashes, ElementsAre(0x1111u, 0xffffffffffffff00ULL));
  EXPECT_TRUE(s.hasParent);
  EXPECT_EQ(s.parentHash, 0x99u);
  EXPECT_THAT(s.tokenIds, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
  EXPECT_EQ(s.blockSize, 4);
  EXPECT_EQ(s.loraId, 7);
  EXPECT_EQ(s.medium, EPP_KV_MEDIUM_CPU);
  EXPECT_EQ(b.events[1].type, EPP_KV_BLOCK_REMOVED);
  EXPECT_THAT(b.events[1].blockHashes, ElementsAre(0x1111u));
  EXPECT_EQ(b.events[1].medium, EPP_KV_MEDIUM_GPU);
  EXPECT_EQ(b.events[2].type, EPP_KV_ALL_CLEARED);
  EXPECT_TRUE(b.events[2].blockHashes.empty());
  EXPECT_EQ(b.unknownEvents + b.malformedEvents, 0u);
}

TEST(KvEventDecoderTest, OmittedDefaultsAndNilsMeanNoParentNoLoraOnGpu) {
  // msgspec's omit_defaults leaves trailing defaults out: a 5-field BlockStored, a
  // BlockRemoved without medium, a batch without dp_rank.
  KvBatchWriter w(5, 2);
  w.raw([](auto& p) {
     p.pack_array(5);
     p.pack(std::string("BlockStored"));
     p.pack(std::vector<uint64_t>{42});
     p.pack_nil();
     p.pack(std::vector<uint32_t>{9, 9});
     p.pack(2);
   }).removed({42});
  KvEventBatch b = decodeOk(w.bytes());
  EXPECT_EQ(b.dpRank, -1);
  EXPECT_DOUBLE_EQ(b.timestamp, 5);
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_FALSE(b.events[0].hasParent);
  EXPECT_EQ(b.events[0].loraId, -1);
  EXPECT_EQ(b.events[0].medium, EPP_KV_MEDIUM_GPU);
  EXPECT_EQ(b.events[1].medium, EPP_KV_MEDIUM_GPU);
}

TEST(KvEventDecoderTest, HashesAsNegativeIntegersAndBytes) {
  // Python ints past 2^63 arrive as negative int64 from some encoders; newer vLLM sends
  // bytes, of which the low 8 (last, big-endian) name the block.
  std::string sha(32, '\0');
  for (int i = 0; i < 32; ++i) sha[i] = static_cast<char>(i);
  KvBatchWriter w(0, 1);
  w.raw([&](auto& p) {
    p.pack_array(3);
    p.pack(std::string("BlockRemoved"));
    p.pack_array(3);
    p.pack(int64_t{-1});
    p.pack_bin(static_cast<uint32_t>(sha.size()));
    p.pack_bin_body(sha.data(), static_cast<uint32_t>(sha.size()));
    p.pack_bin(2);
    p.pack_bin_body("\x01\x02", 2);
    p.pack(std::string("cpu"));
  });
  KvEventBatch b = decodeOk(w.bytes());
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_THAT(b.events[0].blockHashes,
              ElementsAre(0xffffffffffffffffULL, 0x18191a1b1c1d1e1fULL, 0x0102u));
  EXPECT_EQ(b.events[0].medium, EPP_KV_MEDIUM_CPU);
}

TEST(KvEventDecoderTest, UnknownTagsAndMalformedEventsAreSkippedAndCounted) {
  KvBatchWriter w(0, 6);
  w.stored({1}, std::nullopt, {1, 2}, 2)
      .raw([](auto& p) {  // a tag from a newer engine
        p.pack_array(2);
        p.pack(std::string("BlockPinned"));
        p.pack(std::vector<uint64_t>{1});
      })
      .raw([](auto& p) {  // token ids that are not integers
        p.pack_array(5);
        p.pack(std::string("BlockStored"));
        p.pack(std::vector<uint64_t>{2});
        p.pack_nil();
        p.pack(std::vector<std::string>{"a"});
        p.pack(16);
      })
      .raw([](auto& p) { p.pack(17); })  // not an array at all
      .raw([](auto& p) {                 // BlockRemoved without hashes
        p.pack_array(1);
        p.pack(std::string("BlockRemoved"));
      })
      .cleared();
  KvEventBatch b = decodeOk(w.bytes());
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[0].type, EPP_KV_BLOCK_STORED);
  EXPECT_EQ(b.events[1].type, EPP_KV_ALL_CLEARED);
  EXPECT_EQ(b.unknownEvents, 1u);
  EXPECT_EQ(b.malformedEvents, 3u);
  EXPECT_THAT(b.firstSkipReason, HasSubstr("BlockPinned"));
}

TEST(KvEventDecoderTest, PayloadsThatAreNotBatchesAreErrors) {
  EXPECT_THAT(decodeError(""), HasSubstr("not a msgpack event batch"));
  EXPECT_THAT(decodeError("\xc1"), HasSubstr("not a msgpack event batch"));  // reserved byte
  std::string truncated = KvBatchWriter(0, 1).stored({1, 2, 3}, 0, {1}, 1).bytes();
  truncated.resize(truncated.size() - 3);
  EXPECT_THAT(decodeError(truncated), HasSubstr("not a msgpack event batch"));
  EXPECT_THAT(decodeError(KvBatchWriter(0, 0).bytes() + "x"), HasSubstr("bytes after"));

  msgpack::sbuffer map;
  msgpack::packer<msgpack::sbuffer>(map).pack_map(0);
  EXPECT_THAT(decodeError(std::string(map.data(), map.size())), HasSubstr("not an array"));

  msgpack::sbuffer badTs;
  msgpack::packer<msgpack::sbuffer> p(badTs);
  p.pack_array(2);
  p.pack(std::string("now"));
  p.pack_array(0);
  EXPECT_THAT(decodeError(std::string(badTs.data(), badTs.size())), HasSubstr("timestamp"));

  msgpack::sbuffer badEvents;
  msgpack::packer<msgpack::sbuffer> q(badEvents);
  q.pack_array(2);
  q.pack(1.0);
  q.pack(3);
  EXPECT_THAT(decodeError(std::string(badEvents.data(), badEvents.size())),
              HasSubstr("events is not an array"));
}

TEST(KvEventDecoderTest, OversizedArraysAreRefusedNotAllocated) {
  // A header claiming 2^31 events in a few bytes: refused by the unpack limits.
  std::string bytes = "\x92\xcb" + std::string(8, '\0') + "\xdd\x80\x00\x00\x00";
  EXPECT_THAT(decodeError(bytes), HasSubstr("not a msgpack event batch"));
}

TEST(KvEventDecoderTest, MediumNames) {
  EXPECT_EQ(kvMediumFromName("GPU"), EPP_KV_MEDIUM_GPU);
  EXPECT_EQ(kvMediumFromName("cpu"), EPP_KV_MEDIUM_CPU);
  EXPECT_EQ(kvMediumFromName("disk"), EPP_KV_MEDIUM_OTHER);
}

}  // namespace
}  // namespace epp::datalayer

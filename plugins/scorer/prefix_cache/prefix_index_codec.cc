#include "plugins/scorer/prefix_cache/prefix_index_codec.h"

#include <algorithm>

#include "epp/cpp/core.h"

namespace epp::plugins {
namespace {

constexpr uint32_t kFlagAutoTune = 1u << 0;

void put(std::string& out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t get(std::string_view data, size_t offset, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(data[offset + i])) << (8 * i);
  }
  return value;
}

// Reads the fixed-size fields of the format, throwing with the offset when data runs out.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  uint64_t read(size_t bytes, const char* what) {
    need(bytes, what);
    uint64_t value = get(data_, offset_, bytes);
    offset_ += bytes;
    return value;
  }
  std::string_view take(size_t bytes, const char* what) {
    need(bytes, what);
    std::string_view out = data_.substr(offset_, bytes);
    offset_ += bytes;
    return out;
  }
  size_t offset() const { return offset_; }
  size_t remaining() const { return data_.size() - offset_; }

  [[noreturn]] void fail(const std::string& why) const {
    throw cpp::Error(
        std::string(kPrefixIndexFormatV1) + ": " + why + " at byte " + std::to_string(offset_),
        EPP_ERR_INVALID_ARGUMENT);
  }

 private:
  void need(size_t bytes, const char* what) const {
    if (remaining() < bytes) fail(std::string("truncated ") + what);
  }

  std::string_view data_;
  size_t offset_ = 0;
};

}  // namespace

std::string encodePrefixIndex(const PrefixIndex& index, PrefixIndexHashing hashing) {
  const std::vector<uint64_t> ids = index.endpointIds();
  std::string out;
  out.reserve(16 + ids.size() * 16 + index.size() * 8);
  put(out, hashing.blockSizeTokens, 4);
  put(out, hashing.autoTune ? kFlagAutoTune : 0, 4);
  put(out, ids.size(), 8);
  for (uint64_t id : ids) {
    const std::vector<uint64_t> blocks = index.blocks(id);
    put(out, id, 8);
    put(out, blocks.size(), 8);
    for (uint64_t hash : blocks) put(out, hash, 8);
  }
  return out;
}

std::vector<uint64_t> PrefixIndexImage::Endpoint::blocks(size_t limit) const {
  std::vector<uint64_t> out(std::min(blockCount(), limit));
  for (size_t i = 0; i < out.size(); ++i) out[i] = get(hashes, i * 8, 8);
  return out;
}

PrefixIndexImage parsePrefixIndex(std::string_view data) {
  Reader in(data);
  PrefixIndexImage image;
  image.hashing.blockSizeTokens = static_cast<uint32_t>(in.read(4, "header"));
  const uint64_t flags = in.read(4, "header");
  if (image.hashing.blockSizeTokens == 0) in.fail("block size 0");
  if ((flags & ~uint64_t{kFlagAutoTune}) != 0) in.fail("unknown flags");
  image.hashing.autoTune = (flags & kFlagAutoTune) != 0;
  const uint64_t count = in.read(8, "header");
  // Each endpoint takes at least 24 bytes: a count beyond that is a lie, not a reason to
  // reserve memory.
  if (count > in.remaining() / 24)
    in.fail("endpoint count " + std::to_string(count) + " too large");
  image.endpoints.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    PrefixIndexImage::Endpoint endpoint;
    endpoint.id = in.read(8, "endpoint id");
    if (!image.endpoints.empty() && endpoint.id <= image.endpoints.back().id) {
      in.fail("endpoint ids out of order");
    }
    const uint64_t blocks = in.read(8, "block count");
    if (blocks == 0) in.fail("endpoint without blocks");
    if (blocks > in.remaining() / 8)
      in.fail("block count " + std::to_string(blocks) + " too large");
    endpoint.hashes = in.take(blocks * 8, "blocks");
    image.endpoints.push_back(endpoint);
  }
  if (in.remaining() != 0) in.fail(std::to_string(in.remaining()) + " trailing bytes");
  return image;
}

PrefixIndex buildPrefixIndex(const PrefixIndexImage& image, size_t capacity) {
  PrefixIndex index;
  for (const PrefixIndexImage::Endpoint& endpoint : image.endpoints) {
    // One insert of the most recent `capacity` blocks, most recent first, rebuilds the LRU.
    index.insert(endpoint.id, endpoint.blocks(capacity), capacity);
  }
  return index;
}

}  // namespace epp::plugins

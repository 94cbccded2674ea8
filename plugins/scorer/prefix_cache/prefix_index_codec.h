#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/scorer/prefix_cache/prefix_index.h"

namespace epp::plugins {

// The prefix index as bytes, for the state hand-over from an approx-prefix-cache-producer to
// the instance re-created to replace it, which may be another version of this library.
//
// Format "prefix-index/v1", every integer little-endian, no padding:
//   u32 blockSizeTokens      the exporter's configured block size
//   u32 flags                bit 0: the exporter auto-tunes its block size; others zero
//   u64 endpointCount
//   endpointCount times, in increasing endpoint id order:
//     u64 endpointId
//     u64 blockCount         at least 1
//     u64 blockHash[blockCount], most recently used first
// Nothing may follow. A later layout gets a new tag ("prefix-index/v2"); importers keep
// reading the tags they know.
inline constexpr std::string_view kPrefixIndexFormatV1 = "prefix-index/v1";

// How the exported hashes were computed: an importer hashing differently would never match
// them.
struct PrefixIndexHashing {
  uint32_t blockSizeTokens = 0;
  bool autoTune = false;
};

std::string encodePrefixIndex(const PrefixIndex& index, PrefixIndexHashing hashing);

// A checked "prefix-index/v1" image: views into the data it was parsed from.
struct PrefixIndexImage {
  struct Endpoint {
    uint64_t id = 0;
    std::string_view hashes;  // blockCount * 8 bytes
    size_t blockCount() const { return hashes.size() / 8; }
    // The blocks, most recently used first, at most `limit` of them.
    std::vector<uint64_t> blocks(size_t limit) const;
  };
  PrefixIndexHashing hashing;
  std::vector<Endpoint> endpoints;
};

// Checks the whole layout before anything is used. Throws cpp::Error (naming the byte
// offset) on data that is truncated, too long, out of order or otherwise malformed.
PrefixIndexImage parsePrefixIndex(std::string_view data);

// An index holding, per endpoint of `image`, its `capacity` (>= 1) most recently used
// blocks in their order.
PrefixIndex buildPrefixIndex(const PrefixIndexImage& image, size_t capacity);

}  // namespace epp::plugins

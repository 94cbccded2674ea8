// File: host/datalayer/kv_events/kv_event_decoder.h
//
// Decodes the payload frame of a model server's KV-cache event message: vLLM's msgpack
// `EventBatch`, an array [timestamp, events, data-parallel rank?] whose events are tagged
// arrays:
//   ["BlockStored", block_hashes, parent_block_hash|nil, token_ids, block_size,
//    lora_id|nil, medium|nil, ...]            (trailing defaults may be omitted)
//   ["BlockRemoved", block_hashes, medium|nil]
//   ["AllBlocksCleared"]
// A block hash is an integer (negative ones are the two's complement of a 64-bit hash)
// or bytes, of which the last 8 are read big-endian. An event with an unknown tag or a
// malformed event is skipped and counted; a payload that is not a batch is an error.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "epp/abi_hooks.h"
#include "host/common/result.h"

namespace epp::datalayer {

struct KvEvent {
  epp_kv_event_type type = EPP_KV_BLOCK_STORED;
  std::vector<uint64_t> blockHashes;
  bool hasParent = false;
  uint64_t parentHash = 0;
  std::vector<uint32_t> tokenIds;
  int32_t blockSize = 0;
  int64_t loraId = -1;
  epp_kv_medium medium = EPP_KV_MEDIUM_GPU;
};

struct KvEventBatch {
  double timestamp = 0;
  int32_t dpRank = -1;
  std::vector<KvEvent> events;
  // Events left out of `events`: tags this decoder does not know, and events whose
  // fields have the wrong shape (each with a reason, for the log).
  size_t unknownEvents = 0;
  size_t malformedEvents = 0;
  std::string firstSkipReason;
};

common::Result<KvEventBatch> decodeKvEventBatch(std::span<const char> payload);

// The storage medium named in an event ("GPU", "cpu", …; nil means GPU).
epp_kv_medium kvMediumFromName(std::string_view name);

}  // namespace epp::datalayer

// File: tests/support/kv_event_writer.h
//
// Writes KV-cache event batches the way vLLM's publisher encodes them (msgpack arrays,
// tagged events), for tests of the decoder, the subscriber and the simulator. Each field
// can be given the wrong shape on purpose.
#pragma once

#include <msgpack.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace epp::testing {

class KvBatchWriter {
 public:
  // Starts [ts, [ ... `events` events ... ] and, when given, dp_rank].
  KvBatchWriter(double timestamp, uint32_t events, std::optional<int> dpRank = std::nullopt)
      : packer_(buffer_), dpRank_(dpRank) {
    packer_.pack_array(dpRank ? 3 : 2);
    packer_.pack(timestamp);
    packer_.pack_array(events);
  }
  KvBatchWriter& stored(const std::vector<uint64_t>& hashes, std::optional<uint64_t> parent,
                        const std::vector<uint32_t>& tokens, int blockSize,
                        std::optional<int64_t> loraId = std::nullopt,
                        std::optional<std::string> medium = std::nullopt) {
    packer_.pack_array(7);
    packer_.pack(std::string("BlockStored"));
    packer_.pack(hashes);
    if (parent) {
      packer_.pack(*parent);
    } else {
      packer_.pack_nil();
    }
    packer_.pack(tokens);
    packer_.pack(blockSize);
    if (loraId) {
      packer_.pack(*loraId);
    } else {
      packer_.pack_nil();
    }
    if (medium) {
      packer_.pack(*medium);
    } else {
      packer_.pack_nil();
    }
    return *this;
  }
  KvBatchWriter& removed(const std::vector<uint64_t>& hashes,
                         std::optional<std::string> medium = std::nullopt) {
    packer_.pack_array(medium ? 3 : 2);
    packer_.pack(std::string("BlockRemoved"));
    packer_.pack(hashes);
    if (medium) packer_.pack(*medium);
    return *this;
  }
  KvBatchWriter& cleared() {
    packer_.pack_array(1);
    packer_.pack(std::string("AllBlocksCleared"));
    return *this;
  }
  // Anything else, written by the caller (an unknown tag, a malformed event).
  KvBatchWriter& raw(const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& write) {
    write(packer_);
    return *this;
  }
  std::string bytes() {
    if (dpRank_ && !rankWritten_) {
      packer_.pack(*dpRank_);
      rankWritten_ = true;
    }
    return std::string(buffer_.data(), buffer_.size());
  }

 private:
  msgpack::sbuffer buffer_;
  msgpack::packer<msgpack::sbuffer> packer_;
  std::optional<int> dpRank_;
  bool rankWritten_ = false;
};

}  // namespace epp::testing

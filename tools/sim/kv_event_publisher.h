// File: tools/sim/kv_event_publisher.h
//
// eppd-sim's KV-cache event publisher, on vLLM's wire: a ZeroMQ PUB socket bound on a port,
// each message three frames — topic "kv@<ip:port>@<model>", an 8-byte big-endian sequence
// number from 0, and a msgpack EventBatch [timestamp, [events...]] with tagged events
// ["BlockStored", [hash], parent|nil, token_ids, block_size, lora_id|nil, "GPU"] and
// ["BlockRemoved", [hash], "GPU"]. Events collect while the engine steps; flush() sends
// them as batches of at most `batchSize` events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "host/common/result.h"
#include "tools/sim/engine/sim_types.h"

namespace epp::sim {

class KvEventPublisher : public KvEventListener {
 public:
  // Binds tcp://address:port; `loras` names the adapters, whose events carry lora_id =
  // their position + 1.
  static common::Result<std::unique_ptr<KvEventPublisher>> bind(const std::string& address,
                                                                int port, std::string topic,
                                                                std::vector<std::string> loras,
                                                                size_t batchSize = 16);

  void blockStored(uint64_t hash, std::optional<uint64_t> parent,
                   std::span<const uint32_t> tokenIds, int32_t blockSize,
                   std::string_view lora) override;
  void blockRemoved(uint64_t hash) override;
  // Sends what collected; `timestamp` is seconds since the epoch.
  void flush(double timestamp);

  int port() const { return port_; }
  uint64_t sent() const { return sequence_; }

 private:
  KvEventPublisher(zmq::context_t context, zmq::socket_t socket, int port, std::string topic,
                   std::vector<std::string> loras, size_t batchSize);
  struct Event {
    bool stored;
    uint64_t hash;
    std::optional<uint64_t> parent;
    std::vector<uint32_t> tokens;
    int32_t blockSize;
    int64_t loraId;
  };
  void send(double timestamp, size_t from, size_t to);

  zmq::context_t context_;
  zmq::socket_t socket_;
  int port_;
  std::string topic_;
  std::vector<std::string> loras_;
  size_t batchSize_;
  std::vector<Event> pending_;
  uint64_t sequence_ = 0;
};

}  // namespace epp::sim

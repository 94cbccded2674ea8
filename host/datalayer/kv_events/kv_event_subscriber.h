// File: host/datalayer/kv_events/kv_event_subscriber.h
//
// Subscribes to every endpoint's KV-cache event publisher (ZeroMQ PUB, vLLM's
// `--kv-events-config` with publisher "zmq") and hands decoded batches to a sink.
//
// Wire format per message: three frames — topic ("kv@<pod>@<model>"), an 8-byte
// big-endian sequence number, the msgpack EventBatch (kv_event_decoder.h).
//
// One thread polls every endpoint's SUB socket (hundreds of endpoints cost sockets, not
// threads), so one endpoint's batches reach the sink in publication order. ZeroMQ
// reconnects by itself; what a reconnect loses shows as a sequence gap. A batch is
// delivered with `resync` set when it is the first from an endpoint since it was added,
// when sequence numbers skipped (messages lost: the high-water mark, a dropped
// connection) or went back (the publisher restarted): the sink must then forget what it
// knew of that endpoint before applying the batch.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "host/datalayer/kv_events/kv_event_decoder.h"

namespace epp::datalayer {

// A publisher to subscribe to: the endpoint's address and its KV-events port.
struct KvEventTarget {
  uint64_t endpointId = 0;
  std::string name;     // "ip:port" of the endpoint, for logs and metric labels
  std::string address;  // IPv4, IPv6 or host name
  int port = 5557;
  bool operator==(const KvEventTarget&) const = default;
};

struct KvEventDelivery {
  uint64_t endpointId;
  std::string_view endpointName;
  std::string_view model;  // from the topic; empty when the topic has no model part
  uint64_t sequence;
  bool resync;
  const KvEventBatch& batch;
};

struct KvEventSubscriberOptions {
  // Topic prefix to subscribe to ("" takes every message).
  std::string topicFilter = "kv@";
  // How often the thread looks at target changes when no message arrives.
  std::chrono::milliseconds pollInterval{50};
  // Messages above this size are refused by ZeroMQ (the connection is dropped and
  // re-made, which shows as a gap).
  int64_t maxMessageBytes = 64LL << 20;
  // Per-socket receive high-water mark, in messages.
  int receiveHighWaterMark = 100000;
};

class KvEventSubscriber {
 public:
  using Sink = std::function<void(const KvEventDelivery&)>;

  // Starts the polling thread. `sink` runs on it and must not block for long.
  KvEventSubscriber(KvEventSubscriberOptions options, Sink sink);
  ~KvEventSubscriber();
  KvEventSubscriber(const KvEventSubscriber&) = delete;
  KvEventSubscriber& operator=(const KvEventSubscriber&) = delete;

  // The set of publishers to follow; new ones are connected, missing ones closed (their
  // sequence state forgotten). Thread-safe; takes effect within one poll interval.
  void setTargets(std::vector<KvEventTarget> targets);

  struct Stats {
    uint64_t batches = 0;        // delivered
    uint64_t events = 0;         // delivered events
    uint64_t gaps = 0;           // sequence gaps and restarts seen
    uint64_t resyncs = 0;        // batches delivered with resync
    uint64_t badMessages = 0;    // wrong frame count, short sequence frame, undecodable
    uint64_t skippedEvents = 0;  // unknown or malformed events inside decoded batches
    size_t connected = 0;        // publishers currently followed
  };
  Stats stats() const;

 private:
  struct Follow;
  void run();
  void applyTargets(std::vector<Follow>& follows);
  void receive(Follow& follow);

  const KvEventSubscriberOptions options_;
  const Sink sink_;
  mutable std::mutex mutex_;
  std::vector<KvEventTarget> targets_;  // guarded by mutex_
  bool targetsChanged_ = false;         // guarded by mutex_
  Stats stats_;                         // guarded by mutex_
  zmq::context_t context_{1};
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts after every other member is ready
};

// "kv@10.0.0.1@meta-llama/Llama-3.1-8B" -> "meta-llama/Llama-3.1-8B"; "" without a model.
std::string_view modelFromKvTopic(std::string_view topic);

}  // namespace epp::datalayer

// File: tests/support/kv_event_publisher.h
//
// A model server's KV-event publisher for tests: an XPUB socket on a loopback port (XPUB
// speaks PUB's wire protocol and also tells us when a subscriber has subscribed, so a
// test never loses its first messages to ZeroMQ's slow-joiner window).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <zmq.hpp>

namespace epp::testing {

class KvEventPublisher {
 public:
  explicit KvEventPublisher(zmq::context_t& context, std::string topic = "kv@pod@model")
      : socket_(context, zmq::socket_type::xpub), topic_(std::move(topic)) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind("tcp://127.0.0.1:*");
    std::string endpoint = socket_.get(zmq::sockopt::last_endpoint);
    port_ = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  }
  int port() const { return port_; }

  // Waits for a subscription message (skipping unsubscriptions of subscribers that
  // left); false after `timeout`.
  bool awaitSubscriber(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      socket_.set(zmq::sockopt::rcvtimeo, static_cast<int>(left.count()));
      zmq::message_t m;
      if (!socket_.recv(m)) return false;
      if (m.size() > 0 && static_cast<const char*>(m.data())[0] == 1) return true;
    }
  }

  // Sends [topic, 8-byte big-endian sequence, payload].
  void publish(uint64_t sequence, const std::string& payload) {
    char seq[8];
    for (int i = 7; i >= 0; --i) {
      seq[i] = static_cast<char>(sequence & 0xff);
      sequence >>= 8;
    }
    socket_.send(zmq::buffer(topic_), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(seq, 8), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(payload), zmq::send_flags::none);
  }
  // Any framing at all, for malformed-message tests.
  void publishFrames(const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]),
                   i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

 private:
  zmq::socket_t socket_;
  std::string topic_;
  int port_ = 0;
};

}  // namespace epp::testing

// File: tools/sim/kv_event_publisher.cc
#include "tools/sim/kv_event_publisher.h"

#include <msgpack.hpp>

#include <algorithm>

namespace epp::sim {

common::Result<std::unique_ptr<KvEventPublisher>> KvEventPublisher::bind(
    const std::string& address, int port, std::string topic, std::vector<std::string> loras,
    size_t batchSize) {
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::pub);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, 100000);
  bool v6 = address.find(':') != std::string::npos;
  if (v6) socket.set(zmq::sockopt::ipv6, 1);
  std::string endpoint = "tcp://" + (v6 ? "[" + address + "]" : address) + ":" +
                         (port == 0 ? std::string("*") : std::to_string(port));
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    return common::Error{"cannot publish KV events on " + endpoint + ": " + e.what()};
  }
  std::string bound = socket.get(zmq::sockopt::last_endpoint);
  int actual = std::stoi(bound.substr(bound.rfind(':') + 1));
  return std::unique_ptr<KvEventPublisher>(
      new KvEventPublisher(std::move(context), std::move(socket), actual, std::move(topic),
                           std::move(loras), std::max<size_t>(1, batchSize)));
}

KvEventPublisher::KvEventPublisher(zmq::context_t context, zmq::socket_t socket, int port,
                                   std::string topic, std::vector<std::string> loras,
                                   size_t batchSize)
    : context_(std::move(context)),
      socket_(std::move(socket)),
      port_(port),
      topic_(std::move(topic)),
      loras_(std::move(loras)),
      batchSize_(batchSize) {}

void KvEventPublisher::blockStored(uint64_t hash, std::optional<uint64_t> parent,
                                   std::span<const uint32_t> tokenIds, int32_t blockSize,
                                   std::string_view lora) {
  int64_t loraId = -1;
  if (!lora.empty()) {
    auto it = std::find(loras_.begin(), loras_.end(), lora);
    loraId = it == loras_.end() ? 0 : static_cast<int64_t>(it - loras_.begin()) + 1;
  }
  pending_.push_back({true, hash, parent, std::vector<uint32_t>(tokenIds.begin(), tokenIds.end()),
                      blockSize, loraId});
}

void KvEventPublisher::blockRemoved(uint64_t hash) {
  pending_.push_back({false, hash, std::nullopt, {}, 0, -1});
}

void KvEventPublisher::flush(double timestamp) {
  for (size_t from = 0; from < pending_.size(); from += batchSize_) {
    send(timestamp, from, std::min(pending_.size(), from + batchSize_));
  }
  pending_.clear();
}

void KvEventPublisher::send(double timestamp, size_t from, size_t to) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  p.pack_array(2);
  p.pack(timestamp);
  p.pack_array(static_cast<uint32_t>(to - from));
  for (size_t i = from; i < to; ++i) {
    const Event& e = pending_[i];
    if (e.stored) {
      p.pack_array(7);
      p.pack(std::string_view("BlockStored"));
      p.pack_array(1);
      p.pack(e.hash);
      if (e.parent) {
        p.pack(*e.parent);
      } else {
        p.pack_nil();
      }
      p.pack(e.tokens);
      p.pack(e.blockSize);
      if (e.loraId >= 0) {
        p.pack(e.loraId);
      } else {
        p.pack_nil();
      }
      p.pack(std::string_view("GPU"));
    } else {
      p.pack_array(3);
      p.pack(std::string_view("BlockRemoved"));
      p.pack_array(1);
      p.pack(e.hash);
      p.pack(std::string_view("GPU"));
    }
  }
  char seq[8];
  uint64_t s = sequence_++;
  for (int i = 7; i >= 0; --i, s >>= 8) seq[i] = static_cast<char>(s & 0xff);
  socket_.send(zmq::buffer(topic_), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(seq, 8), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(buffer.data(), buffer.size()), zmq::send_flags::none);
}

}  // namespace epp::sim

// File: host/datalayer/kv_events/kv_event_subscriber.cc
#include "host/datalayer/kv_events/kv_event_subscriber.h"

#include <algorithm>
#include <optional>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "host/common/logging.h"
#include "host/datalayer/kv_events/kv_event_metrics.h"

namespace epp::datalayer {

struct KvEventSubscriber::Follow {
  KvEventTarget target;
  zmq::socket_t socket;
  std::optional<uint64_t> lastSequence;  // none until the first batch since added
};

namespace {

std::string zmqEndpoint(const KvEventTarget& t) {
  bool v6 = t.address.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + t.address + "]" : t.address) + ":" + std::to_string(t.port);
}

uint64_t readBigEndian64(const zmq::message_t& frame) {
  const auto* p = static_cast<const unsigned char*>(frame.data());
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// Messages taken from one socket per poll round, so one chatty endpoint cannot starve
// the others.
constexpr int kMaxMessagesPerRound = 256;

}  // namespace

std::string_view modelFromKvTopic(std::string_view topic) {
  size_t first = topic.find('@');
  if (first == std::string_view::npos) return {};
  size_t second = topic.find('@', first + 1);
  if (second == std::string_view::npos) return {};
  return topic.substr(second + 1);
}

KvEventSubscriber::KvEventSubscriber(KvEventSubscriberOptions options, Sink sink)
    : options_(std::move(options)), sink_(std::move(sink)), thread_([this] { run(); }) {}

KvEventSubscriber::~KvEventSubscriber() {
  stop_ = true;
  thread_.join();
}

void KvEventSubscriber::setTargets(std::vector<KvEventTarget> targets) {
  std::lock_guard lock(mutex_);
  targets_ = std::move(targets);
  targetsChanged_ = true;
}

KvEventSubscriber::Stats KvEventSubscriber::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void KvEventSubscriber::applyTargets(std::vector<Follow>& follows) {
  std::vector<KvEventTarget> wanted;
  {
    std::lock_guard lock(mutex_);
    if (!targetsChanged_) return;
    targetsChanged_ = false;
    wanted = targets_;
  }
  // Keep follows whose target is unchanged; close the rest.
  std::erase_if(follows, [&](const Follow& f) {
    bool keep = std::find(wanted.begin(), wanted.end(), f.target) != wanted.end();
    if (!keep) KvEventMetrics::get().forget(f.target.name);
    return !keep;
  });
  for (auto& t : wanted) {
    bool have =
        std::any_of(follows.begin(), follows.end(), [&](const Follow& f) { return f.target == t; });
    if (have) continue;
    zmq::socket_t socket(context_, zmq::socket_type::sub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::ipv6, 1);
    socket.set(zmq::sockopt::rcvhwm, options_.receiveHighWaterMark);
    socket.set(zmq::sockopt::maxmsgsize, options_.maxMessageBytes);
    socket.set(zmq::sockopt::reconnect_ivl, 100);
    socket.set(zmq::sockopt::reconnect_ivl_max, 5000);
    socket.set(zmq::sockopt::subscribe, options_.topicFilter);
    try {
      socket.connect(zmqEndpoint(t));
    } catch (const zmq::error_t& e) {
      common::logger()->warn("kv events: cannot subscribe to {} at {}: {}", t.name, zmqEndpoint(t),
                             e.what());
      continue;
    }
    follows.push_back(Follow{t, std::move(socket), std::nullopt});
  }
  std::lock_guard lock(mutex_);
  stats_.connected = follows.size();
}

void KvEventSubscriber::run() {
  std::vector<Follow> follows;
  std::vector<zmq::pollitem_t> items;
  while (!stop_) {
    applyTargets(follows);
    items.clear();
    for (auto& f : follows) items.push_back({f.socket.handle(), 0, ZMQ_POLLIN, 0});
    if (items.empty()) {
      std::this_thread::sleep_for(options_.pollInterval);
      continue;
    }
    try {
      zmq::poll(items, options_.pollInterval);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      common::logger()->error("kv events: poll failed: {}", e.what());
      std::this_thread::sleep_for(options_.pollInterval);
      continue;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].revents & ZMQ_POLLIN) receive(follows[i]);
    }
  }
}

void KvEventSubscriber::receive(Follow& follow) {
  auto& metrics = KvEventMetrics::get();
  const std::string& name = follow.target.name;
  for (int n = 0; n < kMaxMessagesPerRound && !stop_; ++n) {
    std::vector<zmq::message_t> frames;
    std::optional<size_t> got;
    try {
      got =
          zmq::recv_multipart(follow.socket, std::back_inserter(frames), zmq::recv_flags::dontwait);
    } catch (const zmq::error_t& e) {
      common::logger()->warn("kv events: receive from {} failed: {}", name, e.what());
      return;
    }
    if (!got) return;  // drained
    if (frames.size() != 3 || frames[1].size() != 8) {
      metrics.badMessage(name, "frames");
      std::lock_guard lock(mutex_);
      ++stats_.badMessages;
      common::logger()->warn(
          "kv events: message from {} has {} frames (sequence frame {} bytes); expected topic, "
          "8-byte sequence, payload",
          name, frames.size(), frames.size() > 1 ? frames[1].size() : 0);
      continue;
    }
    std::string_view topic(static_cast<const char*>(frames[0].data()), frames[0].size());
    uint64_t sequence = readBigEndian64(frames[1]);
    auto batch = decodeKvEventBatch(
        std::span<const char>(static_cast<const char*>(frames[2].data()), frames[2].size()));
    // Sequence bookkeeping first: an undecodable batch still consumed its number.
    bool resync = !follow.lastSequence.has_value();
    bool gap = follow.lastSequence && sequence != *follow.lastSequence + 1;
    if (gap) {
      metrics.gap(name);
      common::logger()->warn("kv events: sequence from {} jumped {} -> {}; resynchronising", name,
                             *follow.lastSequence, sequence);
    }
    follow.lastSequence = sequence;
    if (!batch) {
      metrics.badMessage(name, "decode");
      // The next good batch starts from a clean slate: this one's events are lost.
      follow.lastSequence.reset();
      std::lock_guard lock(mutex_);
      ++stats_.badMessages;
      stats_.gaps += gap ? 1 : 0;
      common::logger()->warn("kv events: batch {} from {} skipped: {}", sequence, name,
                             batch.error());
      continue;
    }
    resync = resync || gap;
    size_t skipped = batch->unknownEvents + batch->malformedEvents;
    if (skipped > 0) {
      metrics.skippedEvents(name, batch->unknownEvents, batch->malformedEvents);
      common::logger()->warn("kv events: batch {} from {}: {} event(s) skipped, first: {}",
                             sequence, name, skipped, batch->firstSkipReason);
    }
    metrics.batch(name, batch->events.size(), resync);
    {
      std::lock_guard lock(mutex_);
      ++stats_.batches;
      stats_.events += batch->events.size();
      stats_.gaps += gap ? 1 : 0;
      stats_.resyncs += resync ? 1 : 0;
      stats_.skippedEvents += skipped;
    }
    sink_(KvEventDelivery{follow.target.endpointId, name, modelFromKvTopic(topic), sequence, resync,
                          *batch});
  }
}

}  // namespace epp::datalayer

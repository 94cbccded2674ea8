// The KV-event subscriber against real ZeroMQ publishers on loopback ports.
#include "host/datalayer/kv_events/kv_event_subscriber.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "tests/support/kv_event_publisher.h"
#include "tests/support/kv_event_writer.h"

namespace epp::datalayer {
namespace {

using namespace std::chrono_literals;
using testing::KvBatchWriter;
using testing::KvEventPublisher;

struct Seen {
  uint64_t endpointId;
  std::string model;
  uint64_t sequence;
  bool resync;
  size_t events;
  uint64_t firstHash;
};

class Recorder {
 public:
  KvEventSubscriber::Sink sink() {
    return [this](const KvEventDelivery& d) {
      std::lock_guard lock(mutex_);
      seen_.push_back({d.endpointId, std::string(d.model), d.sequence, d.resync,
                       d.batch.events.size(),
                       d.batch.events.empty() || d.batch.events[0].blockHashes.empty()
                           ? 0
                           : d.batch.events[0].blockHashes[0]});
      cv_.notify_all();
    };
  }
  // Waits until `n` batches arrived; returns them.
  std::vector<Seen> await(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return seen_.size() >= n; });
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Seen> seen_;
};

std::string batchWithHash(uint64_t hash) {
  return KvBatchWriter(1, 1).stored({hash}, std::nullopt, {1, 2}, 2).bytes();
}

KvEventTarget target(uint64_t id, int port) {
  return {id, "127.0.0.1:" + std::to_string(8000 + id), "127.0.0.1", port};
}

class KvEventSubscriberTest : public ::testing::Test {
 protected:
  zmq::context_t context_;
  Recorder recorder_;
};

TEST_F(KvEventSubscriberTest, BatchesArriveInOrderPerEndpointWithTheTopicsModel) {
  KvEventPublisher a(context_, "kv@10.0.0.1@llama-3"), b(context_, "kv@10.0.0.2@qwen@v2");
  KvEventSubscriber sub({.pollInterval = 10ms}, recorder_.sink());
  sub.setTargets({target(1, a.port()), target(2, b.port())});
  ASSERT_TRUE(a.awaitSubscriber());
  ASSERT_TRUE(b.awaitSubscriber());
  for (uint64_t s = 0; s < 50; ++s) {
    a.publish(s, batchWithHash(100 + s));
    b.publish(1000 + s, batchWithHash(5000 + s));
  }
  auto seen = recorder_.await(100);
  ASSERT_EQ(seen.size(), 100u);
  uint64_t nextA = 0, nextB = 1000;
  for (const Seen& s : seen) {
    if (s.endpointId == 1) {
      EXPECT_EQ(s.model, "llama-3");
      EXPECT_EQ(s.sequence, nextA);
      EXPECT_EQ(s.firstHash, 100 + nextA);
      EXPECT_EQ(s.resync, nextA == 0) << "only the first batch of an endpoint resyncs";
      ++nextA;
    } else {
      EXPECT_EQ(s.endpointId, 2u);
      EXPECT_EQ(s.model, "qwen@v2");
      EXPECT_EQ(s.sequence, nextB);
      EXPECT_EQ(s.resync, nextB == 1000);
      ++nextB;
    }
  }
  EXPECT_EQ(nextA, 50u);
  EXPECT_EQ(nextB, 1050u);
  KvEventSubscriber::Stats st = sub.stats();
  EXPECT_EQ(st.batches, 100u);
  EXPECT_EQ(st.events, 100u);
  EXPECT_EQ(st.gaps, 0u);
  EXPECT_EQ(st.resyncs, 2u);
  EXPECT_EQ(st.connected, 2u);
}

TEST_F(KvEventSubscriberTest, ASequenceGapOrRestartResyncs) {
  KvEventPublisher pub(context_);
  KvEventSubscriber sub({.pollInterval = 10ms}, recorder_.sink());
  sub.setTargets({target(7, pub.port())});
  ASSERT_TRUE(pub.awaitSubscriber());
  pub.publish(10, batchWithHash(1));
  pub.publish(11, batchWithHash(2));
  pub.publish(15, batchWithHash(3));  // 12..14 lost
  pub.publish(16, batchWithHash(4));
  pub.publish(0, batchWithHash(5));  // the publisher restarted
  auto seen = recorder_.await(5);
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_TRUE(seen[0].resync);
  EXPECT_FALSE(seen[1].resync);
  EXPECT_TRUE(seen[2].resync);
  EXPECT_FALSE(seen[3].resync);
  EXPECT_TRUE(seen[4].resync);
  EXPECT_EQ(sub.stats().gaps, 2u);
  EXPECT_EQ(sub.stats().resyncs, 3u);
}

TEST_F(KvEventSubscriberTest, BadMessagesAreCountedAndTheNextBatchResyncs) {
  KvEventPublisher pub(context_);
  KvEventSubscriber sub({.pollInterval = 10ms}, recorder_.sink());
  sub.setTargets({target(3, pub.port())});
  ASSERT_TRUE(pub.awaitSubscriber());
  pub.publish(1, batchWithHash(1));
  pub.publishFrames({"kv@pod@model", batchWithHash(2)});          // no sequence frame
  pub.publishFrames({"kv@pod@model", "1234", batchWithHash(2)});  // short sequence
  pub.publish(2, "\xc1 not msgpack");                             // undecodable
  pub.publish(3, KvBatchWriter(1, 2)
                     .stored({9}, std::nullopt, {1}, 1)
                     .raw([](auto& p) {
                       p.pack_array(1);
                       p.pack(std::string("Mystery"));
                     })
                     .bytes());
  auto seen = recorder_.await(2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].sequence, 3u);
  EXPECT_TRUE(seen[1].resync) << "the undecodable batch's events are lost";
  EXPECT_EQ(seen[1].events, 1u);
  KvEventSubscriber::Stats st = sub.stats();
  EXPECT_EQ(st.badMessages, 3u);
  EXPECT_EQ(st.skippedEvents, 1u);
}

TEST_F(KvEventSubscriberTest, ARemovedTargetIsNoLongerFollowedAndAReaddedOneResyncs) {
  KvEventPublisher pub(context_);
  KvEventSubscriber sub({.pollInterval = 10ms}, recorder_.sink());
  sub.setTargets({target(4, pub.port())});
  ASSERT_TRUE(pub.awaitSubscriber());
  pub.publish(1, batchWithHash(1));
  ASSERT_EQ(recorder_.await(1).size(), 1u);
  sub.setTargets({});
  // The unsubscribe reaches the XPUB when the socket closes.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sub.stats().connected, 0u);
  pub.publish(2, batchWithHash(2));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(recorder_.await(1, 0ms).size(), 1u);
  sub.setTargets({target(4, pub.port())});
  ASSERT_TRUE(pub.awaitSubscriber());
  pub.publish(3, batchWithHash(3));
  auto seen = recorder_.await(2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].sequence, 3u);
  EXPECT_TRUE(seen[1].resync);
}

size_t threadCount() {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

TEST_F(KvEventSubscriberTest, HundredEndpointsShareOneThread) {
  std::vector<std::unique_ptr<KvEventPublisher>> pubs;
  std::vector<KvEventTarget> targets;
  for (uint64_t i = 0; i < 100; ++i) {
    pubs.push_back(std::make_unique<KvEventPublisher>(context_));
    targets.push_back(target(i + 1, pubs.back()->port()));
  }
  size_t before = threadCount();
  KvEventSubscriber sub({.pollInterval = 10ms}, recorder_.sink());
  sub.setTargets(targets);
  for (auto& p : pubs) ASSERT_TRUE(p->awaitSubscriber());
  // Its own thread plus ZeroMQ's I/O and reaper threads, however many endpoints.
  EXPECT_LE(threadCount() - before, 3u);
  for (uint64_t round = 0; round < 5; ++round) {
    for (auto& p : pubs) p->publish(round, batchWithHash(round));
  }
  auto seen = recorder_.await(500);
  EXPECT_EQ(seen.size(), 500u);
  std::map<uint64_t, uint64_t> next;
  for (const Seen& s : seen) EXPECT_EQ(s.sequence, next[s.endpointId]++);
  EXPECT_EQ(next.size(), 100u);
  EXPECT_EQ(sub.stats().gaps, 0u);
}

TEST(KvEventTopicTest, ModelIsWhatFollowsThePod) {
  EXPECT_EQ(modelFromKvTopic("kv@10.0.0.1:8000@meta-llama/Llama-3.1-8B"),
            "meta-llama/Llama-3.1-8B");
  EXPECT_EQ(modelFromKvTopic("kv@pod"), "");
  EXPECT_EQ(modelFromKvTopic("kv"), "");
}

}  // namespace
}  // namespace epp::datalayer

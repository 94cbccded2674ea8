// eppd-sim's KV-cache events, received by eppd's own subscriber and decoder over a real
// ZeroMQ socket and applied to the precise prefix index: the blocks the simulator reports
// are the blocks eppd computes for the same prompt, and evictions take them away.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "host/datalayer/kv_events/kv_event_subscriber.h"
#include "plugins/common/chars_tokenizer.h"
#include "plugins/scorer/precise_prefix_cache/precise_index.h"
#include "tools/sim/sim_server.h"
#include "tools/sim/tests/http_client.h"

namespace epp::sim {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int kBlockTokens = 16;
constexpr int kBlockChars = kBlockTokens * 4;

ServerOptions options() {
  ServerOptions o;
  o.port = 0;
  o.model = "m";
  o.timeScale = 100;
  o.defaultMaxTokens = 2;
  o.engine.numBlocks = 12;
  o.engine.blockSize = kBlockTokens;
  o.engine.maxModelLen = 4096;
  o.engine.decodeBaseUs = 1'000;
  o.engine.decodePerSeqUs = 0;
  o.engine.prefillOverheadUs = 0;
  o.engine.prefillPerTokenUs = 1;
  o.kvEventsPort = 0;
  return o;
}

// `blocks` whole blocks of text unique to `seed`, plus a few characters.
std::string prompt(int seed, int blocks) {
  std::string out;
  for (int b = 0; b < blocks; ++b) {
    std::string block = "[prompt " + std::to_string(seed) + " block " + std::to_string(b) + "]";
    block.resize(kBlockChars, '.');
    out += block;
  }
  return out + "tail";
}

// Collects every delivered batch into the precise index, as the scorer does.
class IndexFeed {
 public:
  IndexFeed() : index_({.maxKeys = 10000, .maxEndpointsPerKey = 4, .blockSize = kBlockTokens}) {}
  datalayer::KvEventSubscriber::Sink sink() {
    return [this](const datalayer::KvEventDelivery& d) {
      std::lock_guard lock(mutex_);
      if (d.resync) index_.clearEndpoint(d.endpointId);
      model_ = std::string(d.model);
      uint64_t root = plugins::rootBlockKey("", d.model);
      for (const auto& e : d.batch.events) {
        if (e.type == EPP_KV_BLOCK_STORED) {
          ++stored_;
          parents_.push_back(e.hasParent ? std::optional<uint64_t>(e.parentHash) : std::nullopt);
          hashes_.push_back(e.blockHashes.at(0));
          EXPECT_EQ(e.blockSize, kBlockTokens);
          EXPECT_EQ(e.tokenIds.size(), static_cast<size_t>(kBlockTokens));
          index_.blockStored(d.endpointId, root,
                             e.hasParent ? std::optional<uint64_t>(e.parentHash) : std::nullopt,
                             e.blockHashes, e.tokenIds, e.blockSize, e.medium);
        } else if (e.type == EPP_KV_BLOCK_REMOVED) {
          ++removed_;
          index_.blockRemoved(d.endpointId, e.blockHashes, e.medium);
        }
      }
      cv_.notify_all();
    };
  }
  // Leading blocks of `text` that endpoint 1 holds, by eppd's request-side keys.
  double held(const std::string& text) {
    std::vector<uint32_t> tokens;
    plugins::charsTokenize(text, 4, tokens);
    std::vector<uint64_t> keys;
    plugins::blockKeys(plugins::rootBlockKey("", "m"), tokens, kBlockTokens, 256, keys);
    std::unordered_map<uint64_t, double> runs;
    std::lock_guard lock(mutex_);
    index_.longestPrefix(keys, runs);
    return runs.count(1) ? runs[1] : 0.0;
  }
  bool awaitStored(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return stored_ >= n; });
  }
  bool awaitRemoved(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return removed_ >= n; });
  }
  size_t stored() {
    std::lock_guard lock(mutex_);
    return stored_;
  }
  std::vector<std::optional<uint64_t>> parents() {
    std::lock_guard lock(mutex_);
    return parents_;
  }
  std::vector<uint64_t> hashes() {
    std::lock_guard lock(mutex_);
    return hashes_;
  }
  std::string model() {
    std::lock_guard lock(mutex_);
    return model_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  plugins::PreciseIndex index_;
  size_t stored_ = 0, removed_ = 0;
  std::vector<std::optional<uint64_t>> parents_;
  std::vector<uint64_t> hashes_;
  std::string model_;
};

int complete(int port, const std::string& text) {
  return testing::httpCall(port, "POST", "/v1/completions",
                           json{{"model", "m"}, {"prompt", text}, {"max_tokens", 2}}.dump())
      .status;
}

TEST(SimKvEvents, StoredBlocksAreTheBlocksEppdComputesAndEvictionsRemoveThem) {
  auto server = SimServer::start(options());
  ASSERT_TRUE(server) << server.error();
  ASSERT_GT((*server)->kvEventsPort(), 0);
  IndexFeed feed;
  datalayer::KvEventSubscriber subscriber({.pollInterval = 10ms}, feed.sink());
  subscriber.setTargets({{1, "127.0.0.1:" + std::to_string((*server)->port()), "127.0.0.1",
                          (*server)->kvEventsPort()}});
  // ZeroMQ drops what is published before the subscription lands: warm up until events
  // flow, with prompts of their own.
  int warm = 0;
  while (feed.stored() == 0 && warm < 50) {
    ASSERT_EQ(complete((*server)->port(), prompt(1000 + warm++, 1)), 200);
    feed.awaitStored(1, 100ms);
  }
  ASSERT_GT(feed.stored(), 0u) << "no KV events from the simulator";
  const size_t before = feed.stored();

  const std::string first = prompt(1, 3);
  ASSERT_EQ(complete((*server)->port(), first), 200);
  ASSERT_TRUE(feed.awaitStored(before + 3));
  EXPECT_EQ(feed.model(), "m");
  // The three blocks chain: no parent, then each the previous block's hash.
  auto parents = feed.parents();
  auto hashes = feed.hashes();
  ASSERT_GE(parents.size(), before + 3);
  EXPECT_FALSE(parents[before].has_value());
  EXPECT_EQ(parents[before + 1], hashes[before]);
  EXPECT_EQ(parents[before + 2], hashes[before + 1]);
  // eppd's keys for the same prompt find all three on the simulator.
  EXPECT_EQ(feed.held(first), 3.0);
  EXPECT_EQ(feed.held(prompt(1, 2)), 2.0) << "a shorter prompt sharing two blocks";
  EXPECT_EQ(feed.held(prompt(2, 3)), 0.0);

  // 12 blocks in all: fresh prompts push the first one's blocks out of the cache.
  for (int p = 2; p <= 6; ++p) ASSERT_EQ(complete((*server)->port(), prompt(p, 3)), 200);
  // A response can reach us before the events of its last step: wait for all 15 blocks.
  ASSERT_TRUE(feed.awaitStored(before + 18));
  ASSERT_TRUE(feed.awaitRemoved(3));
  EXPECT_THAT(feed.held(first), ::testing::Lt(3.0));
  EXPECT_EQ(feed.held(prompt(6, 3)), 3.0) << "the newest prompt is still cached";
  datalayer::KvEventSubscriber::Stats stats = subscriber.stats();
  EXPECT_EQ(stats.gaps, 0u);
  EXPECT_EQ(stats.badMessages, 0u);
}

}  // namespace
}  // namespace epp::sim

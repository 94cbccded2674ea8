#include "plugins/scorer/prefix_cache/approx_prefix_cache_producer.h"

#include <gtest/gtest.h>

#include <string>

#include "epp/testing/fake_host.h"
#include "plugins/scorer/prefix_cache/prefix_cache_plugin.h"
#include "plugins/scorer/prefix_cache/prefix_index_codec.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHandover;
using testing::FakeHost;
using testing::FakeInstance;
using testing::FakeRequest;
using testing::ParamValue;

const std::string kIndexSize(kIndexSizeMetric);
const std::string kHitRatio(kHitRatioMetric);
constexpr const char* kProducer = "approx-prefix-cache-producer";

// 4-character blocks (1 token), no engine tuning: prompts below are written block by block.
ParamValue smallBlocks() { return ParamValue::map({{"autoTune", false}, {"blockSizeTokens", 1}}); }

class ApproxPrefixCacheProducerTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeInstance> make(const ParamValue& params) {
    auto producer = host_.create(plugin_, kProducer, params);
    EXPECT_NE(producer, nullptr) << host_.lastError();
    return producer;
  }
  // Match ratio published for each endpoint of `eps` by prepareRequest.
  std::vector<double> ratios(FakeInstance& producer, FakeRequest& request, const EndpointSet& eps) {
    producer.prepareRequest(request, eps.list());
    EXPECT_EQ(producer.status(), EPP_OK);
    std::vector<double> out(eps.size(), -1);
    EXPECT_TRUE(request.dataGet(kMatchRatioKey, eps.list(), out.data()));
    return out;
  }
  std::vector<double> ratios(FakeInstance& producer, const std::string& prompt,
                             const EndpointSet& eps) {
    FakeRequest request({.prompt = prompt});
    return ratios(producer, request, eps);
  }
  // A request with `prompt` scheduled to eps[target].
  void route(FakeInstance& producer, const std::string& prompt, const EndpointSet& eps,
             size_t target) {
    FakeRequest request({.prompt = prompt});
    producer.prepareRequest(request, eps.list());
    producer.preRequest(request, {{.name = "default", .targets = {eps.view(target)}}});
  }
  double indexSize() { return host_.metricValue(kIndexSize, kProducer); }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppPrefixCacheEntry);
  EndpointSet eps_{{{.address = "10.0.0.1"}, {.address = "10.0.0.2"}, {.address = "10.0.0.3"}}};
};

TEST_F(ApproxPrefixCacheProducerTest, IsAHookOnlyType) {
  auto producer = make(ParamValue());
  ASSERT_NE(producer, nullptr);
  EXPECT_EQ(producer->type()->kinds,
            EPP_KIND_REQUEST_HOOKS | EPP_KIND_DATA_HOOKS | EPP_KIND_STATE_HANDOVER);
  EXPECT_TRUE(producer->offersStateHandover());
  EXPECT_DOUBLE_EQ(indexSize(), 0.0);
}

TEST_F(ApproxPrefixCacheProducerTest, ASharedPrefixMatchesWhereTheFirstRequestWent) {
  auto producer = make(smallBlocks());
  const std::string prompt = "aaaabbbbccccddddeeeeffffgggghhhh";  // 8 blocks
  EXPECT_EQ(ratios(*producer, prompt, eps_), (std::vector<double>{0, 0, 0}));
  route(*producer, prompt, eps_, 1);
  EXPECT_EQ(ratios(*producer, prompt, eps_), (std::vector<double>{0, 1.0, 0}));
  // A longer request sharing the 8 blocks matches 8 of its 10 there.
  EXPECT_EQ(ratios(*producer, prompt + "iiiijjjj", eps_), (std::vector<double>{0, 0.8, 0}));
  EXPECT_DOUBLE_EQ(indexSize(), 8.0);
}

TEST_F(ApproxPrefixCacheProducerTest, PublishesTheMatchedTokensToo) {
  auto producer = make(ParamValue::map({{"autoTune", false}, {"blockSizeTokens", 2}}));
  route(*producer, "aaaaaaaabbbbbbbbcccccccc", eps_, 2);  // 3 blocks of 2 tokens
  FakeRequest request({.prompt = "aaaaaaaabbbbbbbbXXXXXXXXdddd"});
  producer->prepareRequest(request, eps_.list());
  std::vector<double> tokens(eps_.size(), -1);
  ASSERT_TRUE(request.dataGet(kMatchedTokensKey, eps_.list(), tokens.data()));
  EXPECT_EQ(tokens, (std::vector<double>{0, 0, 4}));
}

TEST_F(ApproxPrefixCacheProducerTest, PartialPrefixGivesTheMatchedShare) {
  auto producer = make(smallBlocks());
  route(*producer, "aaaabbbbccccdddd", eps_, 0);
  route(*producer, "aaaabbbb", eps_, 2);
  EXPECT_EQ(ratios(*producer, "aaaabbbbXXXXdddd", eps_), (std::vector<double>{0.5, 0, 0.5}));
  EXPECT_EQ(ratios(*producer, "aaaabbbbccccZZZZ", eps_), (std::vector<double>{0.75, 0, 0.5}));
  EXPECT_EQ(ratios(*producer, "aaaaXbbbccccdddd", eps_), (std::vector<double>{0.25, 0, 0.25}));
  EXPECT_EQ(ratios(*producer, "Xaaabbbbccccdddd", eps_), (std::vector<double>{0, 0, 0}));
  // A trailing partial block is not hashed: 2 whole blocks, both held by endpoint 0.
  EXPECT_EQ(ratios(*producer, "aaaabbbbcc", eps_), (std::vector<double>{1.0, 0, 1.0}));
}

TEST_F(ApproxPrefixCacheProducerTest, TheModelIsPartOfThePrefix) {
  auto producer = make(smallBlocks());
  FakeRequest first({.model = "llama", .prompt = "aaaabbbb"});
  producer->prepareRequest(first, eps_.list());
  producer->preRequest(first, {{.name = "default", .targets = {eps_.view(0)}}});
  FakeRequest other({.model = "qwen", .prompt = "aaaabbbb"});
  EXPECT_EQ(ratios(*producer, other, eps_), (std::vector<double>{0, 0, 0}));
  FakeRequest same({.model = "llama", .prompt = "aaaabbbb"});
  EXPECT_EQ(ratios(*producer, same, eps_), (std::vector<double>{1.0, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, LruEvictionDropsTheOldestBlocks) {
  auto producer = make(
      ParamValue::map({{"autoTune", false}, {"blockSizeTokens", 1}, {"lruCapacityPerServer", 4}}));
  route(*producer, "aaaabbbb", eps_, 0);
  route(*producer, "ccccdddd", eps_, 0);
  EXPECT_DOUBLE_EQ(indexSize(), 4.0);
  route(*producer, "eeeeffff", eps_, 0);  // full: the first request's blocks go
  EXPECT_DOUBLE_EQ(indexSize(), 4.0);
  EXPECT_EQ(ratios(*producer, "aaaabbbb", eps_), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(ratios(*producer, "ccccdddd", eps_), (std::vector<double>{1.0, 0, 0}));
  EXPECT_EQ(ratios(*producer, "eeeeffff", eps_), (std::vector<double>{1.0, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, ReuseKeepsAPrefixAlive) {
  auto producer = make(
      ParamValue::map({{"autoTune", false}, {"blockSizeTokens", 1}, {"lruCapacityPerServer", 4}}));
  route(*producer, "aaaabbbb", eps_, 0);
  route(*producer, "ccccdddd", eps_, 0);
  route(*producer, "aaaabbbb", eps_, 0);  // used again: now the freshest
  route(*producer, "eeeeffff", eps_, 0);
  EXPECT_EQ(ratios(*producer, "aaaabbbb", eps_), (std::vector<double>{1.0, 0, 0}));
  EXPECT_EQ(ratios(*producer, "ccccdddd", eps_), (std::vector<double>{0, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, ARequestLongerThanTheCapacityKeepsItsHead) {
  auto producer = make(
      ParamValue::map({{"autoTune", false}, {"blockSizeTokens", 1}, {"lruCapacityPerServer", 3}}));
  route(*producer, "aaaabbbbccccddddeeee", eps_, 2);
  EXPECT_EQ(ratios(*producer, "aaaabbbbccccddddeeee", eps_), (std::vector<double>{0, 0, 0.6}));
  EXPECT_DOUBLE_EQ(indexSize(), 3.0);
}

TEST_F(ApproxPrefixCacheProducerTest, EndpointRemovalDropsItsEntries) {
  auto producer = make(smallBlocks());
  route(*producer, "aaaabbbbcccc", eps_, 0);
  route(*producer, "aaaabbbbcccc", eps_, 1);
  EXPECT_DOUBLE_EQ(indexSize(), 6.0);
  producer->endpointsRemoved({eps_.view(0)->id});
  EXPECT_DOUBLE_EQ(indexSize(), 3.0);
  EXPECT_EQ(ratios(*producer, "aaaabbbbcccc", eps_), (std::vector<double>{0, 1.0, 0}));
  producer->endpointsRemoved({eps_.view(1)->id, eps_.view(2)->id, 999});
  EXPECT_DOUBLE_EQ(indexSize(), 0.0);
  EXPECT_EQ(ratios(*producer, "aaaabbbbcccc", eps_), (std::vector<double>{0, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, MemoryStaysWithinCapacityTimesEndpoints) {
  const size_t kCapacity = 8;
  auto producer = make(ParamValue::map({{"autoTune", false},
                                        {"blockSizeTokens", 1},
                                        {"lruCapacityPerServer", static_cast<int>(kCapacity)}}));
  std::string prompt;
  for (int i = 0; i < 300; ++i) {
    // Prompts of 1 to 12 blocks, sharing prefixes now and then.
    if (i % 7 == 0) prompt.clear();
    prompt += std::string(4, static_cast<char>('a' + i % 26));
    if (prompt.size() > 48) prompt.erase(0, 4);
    route(*producer, prompt, eps_, static_cast<size_t>(i) % eps_.size());
    ASSERT_LE(indexSize(), static_cast<double>(kCapacity * eps_.size())) << "step " << i;
  }
  EXPECT_DOUBLE_EQ(indexSize(), static_cast<double>(kCapacity * eps_.size()));
}

TEST_F(ApproxPrefixCacheProducerTest, IndexesEveryProfilesFirstTarget) {
  auto producer = make(smallBlocks());
  FakeRequest request({.prompt = "aaaabbbb"});
  producer->prepareRequest(request, eps_.list());
  // Disaggregated: decode (primary) on endpoint 0 with a fallback, prefill on endpoint 2.
  producer->preRequest(request,
                       {{.name = "prefill", .targets = {eps_.view(2)}},
                        {.name = "decode", .targets = {eps_.view(0), eps_.view(1)}}},
                       /*primary=*/1);
  EXPECT_EQ(ratios(*producer, "aaaabbbb", eps_), (std::vector<double>{1.0, 0, 1.0}));
  EXPECT_DOUBLE_EQ(indexSize(), 4.0);
}

TEST_F(ApproxPrefixCacheProducerTest, AFailedPrimaryProfileIndexesNothing) {
  auto producer = make(smallBlocks());
  FakeRequest request({.prompt = "aaaabbbb"});
  producer->prepareRequest(request, eps_.list());
  producer->preRequest(
      request, {{.name = "prefill", .targets = {eps_.view(2)}}, {.name = "decode", .ok = false}},
      /*primary=*/1);
  EXPECT_DOUBLE_EQ(indexSize(), 0.0);
  EXPECT_EQ(host_.histogramCount(kHitRatio, kProducer), 0u);
}

TEST_F(ApproxPrefixCacheProducerTest, PreRequestWithoutPrepareStillIndexes) {
  auto producer = make(smallBlocks());
  FakeRequest request({.prompt = "aaaabbbb"});
  producer->preRequest(request, {{.name = "default", .targets = {eps_.view(1)}}});
  EXPECT_EQ(ratios(*producer, "aaaabbbb", eps_), (std::vector<double>{0, 1.0, 0}));
  EXPECT_EQ(host_.histogramCount(kHitRatio, kProducer), 1u);
}

TEST_F(ApproxPrefixCacheProducerTest, ObservesTheHitRatioOfTheChosenEndpoint) {
  auto producer = make(smallBlocks());
  route(*producer, "aaaabbbbccccdddd", eps_, 0);  // nothing cached yet: 0
  route(*producer, "aaaabbbbccccdddd", eps_, 0);  // all 4 blocks: 1
  route(*producer, "aaaabbbbXXXXYYYY", eps_, 0);  // 2 of 4: 0.5
  route(*producer, "aaaabbbbccccdddd", eps_, 1);  // cached on 0, sent to 1: 0
  EXPECT_EQ(host_.histogramCount(kHitRatio, kProducer), 4u);
  EXPECT_DOUBLE_EQ(host_.metricValue(kHitRatio, kProducer), 1.5);  // the sum
}

TEST_F(ApproxPrefixCacheProducerTest, PromptsShorterThanABlockMatchNothingAndIndexNothing) {
  auto producer = make(smallBlocks());
  route(*producer, "abc", eps_, 0);
  EXPECT_DOUBLE_EQ(indexSize(), 0.0);
  EXPECT_EQ(host_.histogramCount(kHitRatio, kProducer), 0u);
  EXPECT_EQ(ratios(*producer, "abc", eps_), (std::vector<double>{0, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, EmptyCandidatesPublishNothing) {
  auto producer = make(smallBlocks());
  EndpointSet none;
  FakeRequest request({.prompt = "aaaabbbb"});
  producer->prepareRequest(request, none.list());
  EXPECT_EQ(producer->status(), EPP_OK);
  double value = 0;
  EXPECT_FALSE(request.dataGet(kMatchRatioKey, none.list(), &value));
}

TEST_F(ApproxPrefixCacheProducerTest, MaxPrefixBlocksToMatchBoundsTheBlocks) {
  auto producer = make(ParamValue::map(
      {{"autoTune", false}, {"blockSizeTokens", 1}, {"maxPrefixBlocksToMatch", 3}}));
  route(*producer, "aaaabbbbccccdddd", eps_, 0);
  EXPECT_DOUBLE_EQ(indexSize(), 3.0);
  // Only the first 3 blocks count: the fourth differs, yet the match is complete.
  EXPECT_EQ(ratios(*producer, "aaaabbbbccccXXXX", eps_), (std::vector<double>{1.0, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, MaxPrefixTokensToMatchReplacesTheBlockCount) {
  // 2 tokens of 1-token blocks: 2 blocks, whatever maxPrefixBlocksToMatch says.
  auto producer = make(ParamValue::map({{"autoTune", false},
                                        {"blockSizeTokens", 1},
                                        {"maxPrefixTokensToMatch", 2},
                                        {"maxPrefixBlocksToMatch", 3}}));
  route(*producer, "aaaabbbbccccdddd", eps_, 0);
  EXPECT_DOUBLE_EQ(indexSize(), 2.0);
  EXPECT_EQ(ratios(*producer, "aaaabbbbXXXXdddd", eps_), (std::vector<double>{1.0, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, AutoTuneTakesBlockSizeAndCapacityFromTheEngine) {
  // Engine blocks of 2 tokens (8 characters) and 2 blocks of KV cache per endpoint.
  EndpointSet eps({{.address = "10.0.0.1", .cacheBlockSize = 2, .cacheNumBlocks = 2},
                   {.address = "10.0.0.2", .cacheBlockSize = 2, .cacheNumBlocks = 2}});
  auto tuned = make(ParamValue::map({{"blockSizeTokens", 1}}));  // autoTune defaults to true
  route(*tuned, "aaaaaaaabbbbbbbb", eps, 0);
  // 8-character blocks: the first of two matches. (4-character blocks would give 3/4.)
  EXPECT_EQ(ratios(*tuned, "aaaaaaaabbbbXXXX", eps), (std::vector<double>{0.5, 0}));
  route(*tuned, "ccccccccddddddddeeeeeeee", eps, 1);
  EXPECT_DOUBLE_EQ(indexSize(), 4.0);  // endpoint 1 kept 2 of its 3 blocks
  EXPECT_EQ(ratios(*tuned, "ccccccccddddddddeeeeeeee", eps), (std::vector<double>{0, 2.0 / 3}));
}

TEST_F(ApproxPrefixCacheProducerTest, AutoTuneOffUsesTheConfiguredBlockSize) {
  EndpointSet eps({{.address = "10.0.0.1", .cacheBlockSize = 2, .cacheNumBlocks = 2}});
  auto fixed = make(smallBlocks());
  route(*fixed, "aaaaaaaabbbbbbbb", eps, 0);
  EXPECT_EQ(ratios(*fixed, "aaaaaaaabbbbXXXX", eps), (std::vector<double>{0.75}));
  EXPECT_DOUBLE_EQ(indexSize(), 4.0);  // the configured capacity, not the engine's 2
}

TEST_F(ApproxPrefixCacheProducerTest, AutoTuneIgnoresEndpointsWithoutMetrics) {
  EndpointSet eps({{.address = "10.0.0.1",
                    .cacheBlockSize = 2,
                    .cacheNumBlocks = 1,
                    .flags = EPP_ENDPOINT_FLAG_NO_METRICS},
                   {.address = "10.0.0.2", .cacheBlockSize = 0}});
  auto tuned = make(ParamValue::map({{"blockSizeTokens", 1}}));
  route(*tuned, "aaaabbbbcccc", eps, 0);
  // Configured 4-character blocks and capacity: no endpoint reported usable cache info.
  EXPECT_EQ(ratios(*tuned, "aaaabbbbXXXX", eps), (std::vector<double>{2.0 / 3, 0}));
  EXPECT_DOUBLE_EQ(indexSize(), 3.0);
}

TEST_F(ApproxPrefixCacheProducerTest, DeprecatedBlockSizeInCharacters) {
  auto producer = make(ParamValue::map({{"autoTune", false}, {"blockSize", 8}}));
  EXPECT_TRUE(
      host_.logged("parameter \"blockSize\" is deprecated (a size in characters): read "
                   "as blockSizeTokens 2"));
  route(*producer, "aaaaaaaabbbbbbbb", eps_, 0);
  EXPECT_EQ(ratios(*producer, "aaaaaaaabbbbXXXX", eps_), (std::vector<double>{0.5, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, DeprecatedHashBlockSizeInCharacters) {
  auto producer = make(ParamValue::map({{"autoTune", false}, {"hashBlockSize", 4}}));
  EXPECT_TRUE(host_.logged("\"hashBlockSize\" is deprecated"));
  route(*producer, "aaaabbbb", eps_, 0);
  EXPECT_EQ(ratios(*producer, "aaaaXXXX", eps_), (std::vector<double>{0.5, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, BlockSizeTokensWinsOverTheDeprecatedBlockSize) {
  auto producer =
      make(ParamValue::map({{"autoTune", false}, {"blockSize", 64}, {"blockSizeTokens", 1}}));
  EXPECT_TRUE(host_.logged("and ignored: \"blockSizeTokens\" is set"));
  route(*producer, "aaaabbbb", eps_, 0);
  EXPECT_EQ(ratios(*producer, "aaaaXXXX", eps_), (std::vector<double>{0.5, 0, 0}));
}

TEST_F(ApproxPrefixCacheProducerTest, AcceptsTheReferenceExample) {
  auto producer = make(ParamValue::map({{"autoTune", true},
                                        {"blockSizeTokens", 64},
                                        {"maxPrefixBlocksToMatch", 256},
                                        {"lruCapacityPerServer", 31250}}));
  EXPECT_NE(producer, nullptr);
  EXPECT_FALSE(host_.logged("deprecated"));
}

TEST_F(ApproxPrefixCacheProducerTest, RejectsBadParameters) {
  struct Case {
    ParamValue params;
    std::string error;
  };
  const std::vector<Case> cases = {
      {ParamValue::map({{"lruCapacity", 5}}), "unknown parameter \"lruCapacity\""},
      {ParamValue::map({{"autoTune", "yes"}}), "\"autoTune\" must be true or false"},
      {ParamValue::map({{"blockSizeTokens", "big"}}), "\"blockSizeTokens\" must be an integer"},
      {ParamValue::map({{"blockSizeTokens", 0}}), "\"blockSizeTokens\" must be between 1 and"},
      {ParamValue::map({{"blockSize", -64}}), "\"blockSize\" must be between 1 and"},
      {ParamValue::map({{"maxPrefixBlocksToMatch", 0}}),
       "\"maxPrefixBlocksToMatch\" must be between 1 and"},
      {ParamValue::map({{"maxPrefixTokensToMatch", 0}}),
       "\"maxPrefixTokensToMatch\" must be between 1 and"},
      {ParamValue::map({{"maxPrefixTokensToMatch", 1.5}}),
       "\"maxPrefixTokensToMatch\" must be an integer"},
      {ParamValue::map({{"lruCapacityPerServer", 0}}),
       "\"lruCapacityPerServer\" must be between 1 and"},
      {ParamValue::map({{"lruCapacityPerServer", int64_t{1} << 40}}),
       "\"lruCapacityPerServer\" must be between 1 and 1073741824"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(host_.create(plugin_, kProducer, c.params), nullptr) << c.error;
    EXPECT_NE(host_.lastError().find(c.error), std::string::npos)
        << "want: " << c.error << "\ngot:  " << host_.lastError();
  }
}

TEST_F(ApproxPrefixCacheProducerTest, InstancesKeepSeparateIndexesAndSeries) {
  auto a = host_.create(plugin_, kProducer, smallBlocks(), "hbm");
  auto b = host_.create(plugin_, kProducer, smallBlocks(), "cpu");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  route(*a, "aaaabbbb", eps_, 0);
  EXPECT_EQ(ratios(*b, "aaaabbbb", eps_), (std::vector<double>{0, 0, 0}));
  EXPECT_DOUBLE_EQ(host_.metricValue(kIndexSize, "hbm"), 2.0);
  EXPECT_DOUBLE_EQ(host_.metricValue(kIndexSize, "cpu"), 0.0);
}

// ---- state hand-over to a re-created instance ------------------------------------------

class PrefixIndexHandoverTest : public ApproxPrefixCacheProducerTest {
 protected:
  // A re-created producer: same type, its own name so its metric series is its own.
  std::unique_ptr<FakeInstance> makeNamed(const ParamValue& params, const std::string& name) {
    auto producer = host_.create(plugin_, kProducer, params, name);
    EXPECT_NE(producer, nullptr) << host_.lastError();
    return producer;
  }
  ParamValue fixed(int capacity, int blockSize = 1) {
    return ParamValue::map(
        {{"autoTune", false}, {"blockSizeTokens", blockSize}, {"lruCapacityPerServer", capacity}});
  }
};

TEST_F(PrefixIndexHandoverTest, RoundTripCarriesTheIndexToTheNewInstance) {
  auto old = makeNamed(fixed(100), "old");
  route(*old, "aaaabbbbccccdddd", eps_, 0);
  route(*old, "aaaabbbb", eps_, 2);
  route(*old, "eeee", eps_, 1);
  // Re-created with another parameter (the match bound), as a reload would.
  auto fresh = makeNamed(ParamValue::map({{"autoTune", false},
                                          {"blockSizeTokens", 1},
                                          {"lruCapacityPerServer", 100},
                                          {"maxPrefixBlocksToMatch", 64}}),
                         "new");
  FakeHandover handover = host_.handOver(*old, *fresh);
  EXPECT_EQ(handover.result, FakeHandover::kImported) << handover.error;
  EXPECT_EQ(handover.format, "prefix-index/v1");
  // Header, then 3 endpoints of 4, 1 and 2 blocks.
  EXPECT_EQ(handover.bytes, 16u + 3 * 16 + 7 * 8);
  EXPECT_DOUBLE_EQ(host_.metricValue(kIndexSize, "new"), 7.0);
  EXPECT_EQ(ratios(*fresh, "aaaabbbbccccdddd", eps_), (std::vector<double>{1.0, 0, 0.5}));
  EXPECT_EQ(ratios(*fresh, "eeee", eps_), (std::vector<double>{0, 1.0, 0}));
  EXPECT_TRUE(host_.logged("took over a prefix index of 7 entries over 3 endpoints"));
  // Exporting changed nothing on the old instance.
  EXPECT_EQ(ratios(*old, "aaaabbbbccccdddd", eps_), (std::vector<double>{1.0, 0, 0.5}));
  EXPECT_DOUBLE_EQ(host_.metricValue(kIndexSize, "old"), 7.0);
}

TEST_F(PrefixIndexHandoverTest, ASmallerCapacityKeepsTheMostRecentBlocks) {
  auto old = makeNamed(fixed(100), "old");
  route(*old, "aaaabbbb", eps_, 0);
  route(*old, "ccccdddd", eps_, 0);
  route(*old, "eeeeffff", eps_, 0);  // most recent
  auto fresh = makeNamed(fixed(4), "new");
  EXPECT_EQ(host_.handOver(*old, *fresh).result, FakeHandover::kImported);
  EXPECT_DOUBLE_EQ(host_.metricValue(kIndexSize, "new"), 4.0);
  EXPECT_EQ(ratios(*fresh, "eeeeffff", eps_), (std::vector<double>{1.0, 0, 0}));
  EXPECT_EQ(ratios(*fresh, "ccccdddd", eps_), (std::vector<double>{1.0, 0, 0}));
  EXPECT_EQ(ratios(*fresh, "aaaabbbb", eps_), (std::vector<double>{0, 0, 0}));
  // And the recency order survived: the next request evicts ccccdddd, not eeeeffff.
  route(*fresh, "gggghhhh", eps_, 0);
  EXPECT_EQ(ratios(*fresh, "eeeeffff", eps_), (std::vector<double>{1.0, 0, 0}));
  EXPECT_EQ(ratios(*fresh, "ccccdddd", eps_), (std::vector<double>{0, 0, 0}));
}

TEST_F(PrefixIndexHandoverTest, GarbageAndUnknownFormatsAreRefusedAndLeaveTheInstanceFresh) {
  auto fresh = makeNamed(fixed(100), "new");
  std::string error;
  EXPECT_EQ(fresh->importState("prefix-index/v1", "garbage", &error), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error, "prefix-index/v1: truncated header at byte 4");
  EXPECT_EQ(fresh->importState("prefix-index/v9", "whatever", &error), EPP_ERR_UNIMPLEMENTED);
  EXPECT_EQ(error, "format 'prefix-index/v9' is not one this version reads");

  // A real export cut short parses partly; nothing of it may be applied.
  auto old = makeNamed(fixed(100), "old");
  route(*old, "aaaabbbbcccc", eps_, 0);
  route(*old, "aaaa", eps_, 1);
  testing::FakeStateExport exported = old->exportState();
  ASSERT_EQ(exported.status, EPP_OK);
  const std::string cut = exported.data.substr(0, exported.data.size() - 1);
  EXPECT_EQ(fresh->importState(exported.format, cut, &error), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error.rfind("prefix-index/v1: block count ", 0), 0u) << error;
  EXPECT_EQ(ratios(*fresh, "aaaabbbbcccc", eps_), (std::vector<double>{0, 0, 0}));
  EXPECT_DOUBLE_EQ(host_.metricValue(kIndexSize, "new"), 0.0);
  // The same instance still takes a good image afterwards.
  EXPECT_EQ(fresh->importState(exported.format, exported.data), EPP_OK);
  EXPECT_EQ(ratios(*fresh, "aaaabbbbcccc", eps_), (std::vector<double>{1.0, 1.0 / 3, 0}));
}

TEST_F(PrefixIndexHandoverTest, AnotherBlockSizeIsRefused) {
  auto old = makeNamed(fixed(100, 1), "old");
  route(*old, "aaaabbbb", eps_, 0);
  auto fresh = makeNamed(fixed(100, 2), "new");
  FakeHandover handover = host_.handOver(*old, *fresh);
  EXPECT_EQ(handover.result, FakeHandover::kRefused);
  EXPECT_EQ(handover.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(handover.error,
            "index of blocks of 1 tokens does not fit this instance's blocks of 2 tokens");
  auto tuned = makeNamed(ParamValue::map({{"blockSizeTokens", 1}}), "tuned");
  EXPECT_EQ(host_.handOver(*old, *tuned).error,
            "index of blocks of 1 tokens does not fit this instance's auto-tuned blocks");
  EXPECT_DOUBLE_EQ(host_.metricValue(kIndexSize, "new"), 0.0);
}

TEST_F(PrefixIndexHandoverTest, AutoTunedIndexesMoveWhateverTheFallbackBlockSize) {
  EndpointSet eps({{.address = "10.0.0.1", .cacheBlockSize = 2, .cacheNumBlocks = 64}});
  auto old = makeNamed(ParamValue(), "old");
  route(*old, "aaaaaaaabbbbbbbb", eps, 0);
  auto fresh = makeNamed(ParamValue::map({{"blockSizeTokens", 32}}), "new");
  EXPECT_EQ(host_.handOver(*old, *fresh).result, FakeHandover::kImported);
  EXPECT_EQ(ratios(*fresh, "aaaaaaaabbbbXXXX", eps), (std::vector<double>{0.5}));
}

TEST_F(PrefixIndexHandoverTest, AnEmptyIndexHasNothingToHandOver) {
  auto old = makeNamed(fixed(100), "old");
  auto fresh = makeNamed(fixed(100), "new");
  FakeHandover handover = host_.handOver(*old, *fresh);
  EXPECT_EQ(handover.result, FakeHandover::kNothing);
  EXPECT_EQ(handover.status, EPP_ERR_NOT_FOUND);
}

TEST_F(PrefixIndexHandoverTest, TheScorerOffersNoHandOver) {
  auto scorer = host_.create(plugin_, "prefix-cache-scorer");
  ASSERT_NE(scorer, nullptr);
  EXPECT_FALSE(scorer->offersStateHandover());
  auto other = host_.create(plugin_, "prefix-cache-scorer", ParamValue(), "other");
  EXPECT_EQ(host_.handOver(*scorer, *other).result, FakeHandover::kNotOffered);
}

}  // namespace
}  // namespace epp::plugins

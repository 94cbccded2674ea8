// precise-prefix-cache-scorer through the SDK's fake host: the reference's config, KV
// events in, scores out.
#include "plugins/scorer/precise_prefix_cache/precise_prefix_cache_scorer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"
#include "plugins/common/chars_tokenizer.h"
#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

namespace epp::plugins {
namespace {

using ::testing::ElementsAre;
using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeInstance;
using testing::FakeRequest;
using testing::FakeRequestSpec;
using ::testing::HasSubstr;
using testing::ParamValue;

constexpr int kBlock = 4;

// A KV-event batch of one endpoint, owning what its views point at.
class Batch {
 public:
  Batch(uint64_t endpoint, std::string model) : model_(std::move(model)) {
    batch_.struct_size = sizeof batch_;
    batch_.endpoint_id = endpoint;
    batch_.dp_rank = -1;
  }
  Batch& stored(std::vector<uint64_t> hashes, std::optional<uint64_t> parent,
                std::vector<uint32_t> tokens, int32_t blockSize = kBlock, int64_t lora = -1,
                epp_kv_medium medium = EPP_KV_MEDIUM_GPU) {
    auto& s = add(EPP_KV_BLOCK_STORED, std::move(hashes));
    s.tokens = std::move(tokens);
    s.event.has_parent = parent.has_value();
    s.event.parent_hash = parent.value_or(0);
    s.event.block_size = blockSize;
    s.event.lora_id = lora;
    s.event.medium = medium;
    return *this;
  }
  Batch& removed(std::vector<uint64_t> hashes) {
    add(EPP_KV_BLOCK_REMOVED, std::move(hashes));
    return *this;
  }
  Batch& cleared() {
    add(EPP_KV_ALL_CLEARED, {});
    return *this;
  }
  const epp_kv_event_batch& view() {
    pointers_.clear();
    for (auto& s : slots_) {
      s->event.struct_size = sizeof(epp_kv_event);
      s->event.block_hashes = s->hashes.data();
      s->event.block_hashes_count = s->hashes.size();
      s->event.token_ids = s->tokens.data();
      s->event.token_ids_count = s->tokens.size();
      pointers_.push_back(&s->event);
    }
    batch_.model = {model_.data(), model_.size()};
    batch_.events = pointers_.data();
    batch_.events_count = pointers_.size();
    return batch_;
  }

 private:
  struct Slot {
    epp_kv_event event{};
    std::vector<uint64_t> hashes;
    std::vector<uint32_t> tokens;
  };
  Slot& add(epp_kv_event_type type, std::vector<uint64_t> hashes) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->event.type = type;
    slots_.back()->event.lora_id = -1;
    slots_.back()->hashes = std::move(hashes);
    return *slots_.back();
  }
  std::string model_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<const epp_kv_event*> pointers_;
  epp_kv_event_batch batch_{};
};

std::vector<uint32_t> ids(uint32_t from, size_t n) {
  std::vector<uint32_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = from + static_cast<uint32_t>(i);
  return out;
}

ParamValue blockSize(int size) {
  return ParamValue::map({{"tokenProcessorConfig", ParamValue::map({{"blockSize", size}})}});
}

class PreciseScorerTest : public ::testing::Test {
 protected:
  std::unique_ptr<FakeInstance> create(const ParamValue& params) {
    auto scorer = host_.create(plugin_, "precise-prefix-cache-scorer", params);
    EXPECT_NE(scorer, nullptr) << host_.lastError();
    return scorer;
  }
  std::string failure(const ParamValue& params) {
    EXPECT_EQ(host_.create(plugin_, "precise-prefix-cache-scorer", params), nullptr);
    return host_.lastError();
  }
  std::vector<double> scoreTokens(FakeInstance& scorer, std::vector<uint32_t> tokens) {
    FakeRequest request(FakeRequestSpec{.model = "llama", .tokenIds = std::move(tokens)});
    return scorer.score(request, eps_);
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppPrecisePrefixCacheEntry);
  EndpointSet eps_{{}, {}, {}};  // ids 1, 2, 3
};

TEST_F(PreciseScorerTest, TheReferencesPreciseConfigValidatesAndSubscribes) {
  // As llm-d's sample precise-prefix-cache config writes it.
  auto scorer = create(ParamValue::map(
      {{"tokenProcessorConfig", ParamValue::map({{"blockSize", 64}, {"hashSeed", "42"}})},
       {"indexerConfig",
        ParamValue::map(
            {{"tokenizersPoolConfig", ParamValue::map({{"modelName", "hf-repo/model-name"}})},
             {"kvBlockIndexConfig", ParamValue::map({{"enableMetrics", true}})}})}}));
  ASSERT_NE(scorer, nullptr);
  EXPECT_EQ(scorer->kvSubscription(), std::make_pair(5557, std::string("kv@")));
  EXPECT_TRUE(host_.logged("tokenizersPoolConfig is accepted and not used"));
  EXPECT_TRUE(host_.logged("text prompts are scored by the approximate prefix index"));

  auto discovered = create(ParamValue::map(
      {{"kvEventsConfig",
        ParamValue::map({{"zmqEndpoint", "tcp://*:5557"},
                         {"topicFilter", "kv@"},
                         {"concurrency", 4},
                         {"discoverPods", true},
                         {"podDiscoveryConfig", ParamValue::map({{"socketPort", 5556}})}})}}));
  ASSERT_NE(discovered, nullptr);
  EXPECT_EQ(discovered->kvSubscription().first, 5556);
}

TEST_F(PreciseScorerTest, MistakesAreRefusedWithTheirLocation) {
  EXPECT_THAT(
      failure(ParamValue::map(
          {{"indexerConfig", ParamValue::map({{"kvBlockIndexConfig",
                                               ParamValue::map({{"enableMetric", true}})}})}})),
      HasSubstr("unknown parameter \"enableMetric\""));
  EXPECT_THAT(failure(ParamValue::map({{"tokenizer", ParamValue::map({{"type", "hf"}})}})),
              HasSubstr("tokenizer type 'hf' is not one of request, chars"));
  EXPECT_THAT(
      failure(ParamValue::map({{"kvEventsConfig", ParamValue::map({{"zmqEndpoint", "tcp://*"}})}})),
      HasSubstr("has no port"));
  EXPECT_THAT(failure(ParamValue::map({{"fallback", "random"}})),
              HasSubstr("fallback 'random' is not one of approximate, none"));
  EXPECT_THAT(failure(blockSize(0)), HasSubstr("blockSize"));
}

TEST_F(PreciseScorerTest, ScoresTheLongestRunOfBlocksEachEndpointReallyHolds) {
  auto scorer = create(blockSize(kBlock));
  auto prompt = ids(100, 4 * kBlock);  // 4 blocks
  // Endpoint 1 stored all four blocks in two batches; endpoint 2 the first only.
  Batch a(1, "llama");
  a.stored({11, 12}, std::nullopt, std::vector<uint32_t>(prompt.begin(), prompt.begin() + 8));
  scorer->kvEvents(a.view(), true);
  Batch b(1, "llama");
  b.stored({13, 14}, 12, std::vector<uint32_t>(prompt.begin() + 8, prompt.end()));
  scorer->kvEvents(b.view(), false);
  Batch c(2, "llama");
  c.stored({21}, std::nullopt, std::vector<uint32_t>(prompt.begin(), prompt.begin() + 4));
  scorer->kvEvents(c.view(), true);
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(1.0, 0.25, 0.0));
  // A request sharing two blocks with them, then diverging.
  auto other = prompt;
  other[9] = 7;
  EXPECT_THAT(scoreTokens(*scorer, other), ElementsAre(0.5, 0.25, 0.0));
  // Another model's request matches nothing.
  FakeRequest qwen(FakeRequestSpec{.model = "qwen", .tokenIds = prompt});
  EXPECT_THAT(scorer->score(qwen, eps_), ElementsAre(0.0, 0.0, 0.0));
  EXPECT_EQ(host_.metricValue("eppd_precise_prefix_index_keys", "precise-prefix-cache-scorer"), 4);
  EXPECT_EQ(host_.metricValue("eppd_precise_prefix_scored_total", "precise-prefix-cache-scorer",
                              {"precise"}),
            3);
}

TEST_F(PreciseScorerTest, EvictionClearAndResyncAreFollowed) {
  auto scorer = create(blockSize(kBlock));
  auto prompt = ids(1, 3 * kBlock);
  Batch a(1, "llama");
  a.stored({1, 2, 3}, std::nullopt, prompt);
  scorer->kvEvents(a.view(), true);
  Batch b(2, "llama");
  b.stored({1, 2, 3}, std::nullopt, prompt);
  scorer->kvEvents(b.view(), true);
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(1.0, 1.0, 0.0));
  // Endpoint 1 evicted its middle block: only the first block still leads.
  Batch evict(1, "llama");
  evict.removed({2});
  scorer->kvEvents(evict.view(), false);
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(1.0 / 3, 1.0, 0.0));
  // Endpoint 2 cleared everything; endpoint 1 resynchronises with a batch of nothing.
  Batch clear(2, "llama");
  clear.cleared();
  scorer->kvEvents(clear.view(), false);
  Batch empty(1, "llama");
  scorer->kvEvents(empty.view(), true);
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(0.0, 0.0, 0.0));
  EXPECT_EQ(host_.metricValue("eppd_precise_prefix_index_keys", "precise-prefix-cache-scorer"), 0);
}

TEST_F(PreciseScorerTest, ALeavingEndpointTakesItsBlocks) {
  auto scorer = create(blockSize(kBlock));
  auto prompt = ids(1, kBlock);
  Batch a(3, "llama");
  a.stored({9}, std::nullopt, prompt);
  scorer->kvEvents(a.view(), true);
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(0.0, 0.0, 1.0));
  scorer->endpointsRemoved({3});
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(0.0, 0.0, 0.0));
}

TEST_F(PreciseScorerTest, OrphansOtherBlockSizesAndAdaptersNeverMatch) {
  auto scorer = create(blockSize(kBlock));
  auto prompt = ids(50, 2 * kBlock);
  Batch a(1, "llama");
  a.stored({5}, 999, std::vector<uint32_t>(prompt.begin(), prompt.begin() + 4))  // orphan
      .stored({6}, std::nullopt, prompt, 8)                                      // 8-token block
      .stored({7}, std::nullopt, std::vector<uint32_t>(prompt.begin(), prompt.begin() + 4), kBlock,
              /*lora=*/3);  // an adapter's
  scorer->kvEvents(a.view(), true);
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(0.0, 0.0, 0.0));
  EXPECT_EQ(
      host_.metricValue("eppd_precise_prefix_orphan_blocks_total", "precise-prefix-cache-scorer"),
      1);
  EXPECT_EQ(host_.metricValue("eppd_precise_prefix_block_size_mismatches_total",
                              "precise-prefix-cache-scorer"),
            1);
  EXPECT_TRUE(host_.logged("blocks of another size than tokenProcessorConfig.blockSize (4)"));
}

TEST_F(PreciseScorerTest, SpeculativeIndexingCountsARoutedRequestUntilItsTtl) {
  auto scorer =
      create(ParamValue::map({{"tokenProcessorConfig", ParamValue::map({{"blockSize", kBlock}})},
                              {"speculativeIndexing", true},
                              {"speculativeTTL", "500ms"}}));
  auto prompt = ids(1, 2 * kBlock);
  FakeRequest first(FakeRequestSpec{.model = "llama", .tokenIds = prompt});
  EXPECT_THAT(scorer->score(first, eps_), ElementsAre(0.0, 0.0, 0.0));
  scorer->preRequest(first,
                     {testing::FakeProfileResult{.name = "default", .targets = {eps_.view(1)}}});
  // Before any event from endpoint 2, a request with the same prefix follows the first.
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(0.0, 1.0, 0.0));
  EXPECT_EQ(host_.metricValue("eppd_precise_prefix_speculative_blocks_total",
                              "precise-prefix-cache-scorer"),
            2);
  host_.advance(600'000'000);  // past the TTL with no event: the guess no longer counts
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(0.0, 0.0, 0.0));

  // Off by default, as in the reference; indexerConfig.speculativeIndexing also turns it on.
  auto plain = create(blockSize(kBlock));
  FakeRequest other(FakeRequestSpec{.model = "llama", .tokenIds = prompt});
  plain->score(other, eps_);
  plain->preRequest(other,
                    {testing::FakeProfileResult{.name = "default", .targets = {eps_.view(0)}}});
  EXPECT_THAT(scoreTokens(*plain, prompt), ElementsAre(0.0, 0.0, 0.0));
  EXPECT_NE(create(ParamValue::map(
                {{"indexerConfig", ParamValue::map({{"speculativeIndexing", true}})}})),
            nullptr);
  EXPECT_THAT(failure(ParamValue::map({{"speculativeTTL", "0s"}})),
              HasSubstr("speculativeTTL must be positive"));
}

TEST_F(PreciseScorerTest, CpuCopiesWeighLess) {
  auto scorer = create(blockSize(kBlock));
  auto prompt = ids(1, 2 * kBlock);
  Batch a(1, "llama");
  a.stored({1, 2}, std::nullopt, prompt, kBlock, -1, EPP_KV_MEDIUM_CPU);
  scorer->kvEvents(a.view(), true);
  EXPECT_THAT(scoreTokens(*scorer, prompt), ElementsAre(0.8, 0.0, 0.0));
}

TEST_F(PreciseScorerTest, TextPromptsUseTheCharsTokenizerWhenConfigured) {
  auto scorer = create(
      ParamValue::map({{"tokenProcessorConfig", ParamValue::map({{"blockSize", kBlock}})},
                       {"tokenizer", ParamValue::map({{"type", "chars"}, {"charsPerToken", 4}})}}));
  const std::string text = "The quick brown fox jumps over the lazy dog, twice over.";  // 56
  std::vector<uint32_t> tokens;
  charsTokenize(text, 4, tokens);  // 14 tokens: 3 whole blocks
  ASSERT_EQ(tokens.size(), 14u);
  Batch a(2, "llama");
  a.stored({1, 2}, std::nullopt, std::vector<uint32_t>(tokens.begin(), tokens.begin() + 8));
  scorer->kvEvents(a.view(), true);
  FakeRequest request(FakeRequestSpec{.model = "llama", .prompt = text});
  auto scores = scorer->score(request, eps_);
  EXPECT_DOUBLE_EQ(scores[1], 2.0 / 3);
  EXPECT_FALSE(host_.logged("no tokenizer for text prompts"));
}

TEST_F(PreciseScorerTest, WithoutTokenIdsTheApproximateIndexDecidesOrNothingDoes) {
  auto scorer = create(blockSize(kBlock));
  FakeRequest request(FakeRequestSpec{.model = "llama", .prompt = "some text"});
  std::vector<uint64_t> ids{1, 2, 3};
  std::vector<double> ratios{0.2, 0.9, 0.0};
  request.dataPut(kMatchRatioKey, ids.data(), ratios.data(), ids.size());
  EXPECT_THAT(scorer->score(request, eps_), ElementsAre(0.2, 0.9, 0.0));
  EXPECT_EQ(host_.metricValue("eppd_precise_prefix_scored_total", "precise-prefix-cache-scorer",
                              {"fallback"}),
            1);

  auto strict = create(ParamValue::map({{"fallback", "none"}}));
  EXPECT_THAT(strict->score(request, eps_), ElementsAre(0.0, 0.0, 0.0));
  EXPECT_TRUE(host_.logged("score 0 on every endpoint (fallback: none)"));
}

}  // namespace
}  // namespace epp::plugins

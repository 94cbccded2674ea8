#include "plugins/scorer/prefix_cache/prefix_cache_scorer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "epp/testing/fake_host.h"
#include "plugins/scorer/prefix_cache/prefix_cache_plugin.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class PrefixCacheScorerTest : public ::testing::Test {
 protected:
  void put(FakeRequest& request, std::vector<uint64_t> ids, std::vector<double> values) {
    request.dataPut(kMatchRatioKey, ids.data(), values.data(), ids.size());
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppPrefixCacheEntry);
  std::unique_ptr<testing::FakeInstance> scorer_ = host_.create(plugin_, "prefix-cache-scorer");
  EndpointSet eps_{{{.address = "10.0.0.1"}, {.address = "10.0.0.2"}, {.address = "10.0.0.3"}}};
};

TEST_F(PrefixCacheScorerTest, ScoresThePublishedMatchRatio) {
  ASSERT_NE(scorer_, nullptr) << host_.lastError();
  EXPECT_EQ(scorer_->type()->scorer->category, EPP_SCORER_AFFINITY);
  FakeRequest request;
  put(request, {eps_.view(0)->id, eps_.view(1)->id, eps_.view(2)->id}, {0.25, 1.0, 0.0});
  EXPECT_EQ(scorer_->score(request, eps_), (std::vector<double>{0.25, 1.0, 0.0}));
  EXPECT_EQ(scorer_->status(), EPP_OK);
}

TEST_F(PrefixCacheScorerTest, WithoutAProducerEveryCandidateScoresZero) {
  FakeRequest request;
  EXPECT_EQ(scorer_->score(request, eps_), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(scorer_->status(), EPP_OK);
}

TEST_F(PrefixCacheScorerTest, MissingNanAndOutOfRangeValues) {
  FakeRequest request;
  put(request, {eps_.view(0)->id, eps_.view(1)->id},
      {std::numeric_limits<double>::quiet_NaN(), 1.5});
  // Endpoint 2 has no value (NaN from the host), 0 is NaN, 1 is clamped.
  EXPECT_EQ(scorer_->score(request, eps_), (std::vector<double>{0, 1.0, 0}));
  FakeRequest negative;
  put(negative, {eps_.view(0)->id}, {-0.5});
  EXPECT_EQ(scorer_->score(negative, eps_), (std::vector<double>{0, 0, 0}));
}

TEST_F(PrefixCacheScorerTest, ReadsWhatTheProducerPublished) {
  auto producer = host_.create(plugin_, "approx-prefix-cache-producer",
                               ParamValue::map({{"autoTune", false}, {"blockSizeTokens", 1}}));
  ASSERT_NE(producer, nullptr) << host_.lastError();
  FakeRequest first({.prompt = "aaaabbbbccccdddd"});
  producer->prepareRequest(first, eps_.list());
  EXPECT_EQ(scorer_->score(first, eps_), (std::vector<double>{0, 0, 0}));
  producer->preRequest(first, {{.name = "default", .targets = {eps_.view(2)}}});
  FakeRequest second({.prompt = "aaaabbbbccccXXXX"});
  producer->prepareRequest(second, eps_.list());
  EXPECT_EQ(scorer_->score(second, eps_), (std::vector<double>{0, 0, 0.75}));
  // Scoring a subset of the candidates reads the subset's values.
  EXPECT_EQ(scorer_->score(second, eps_.subset({2, 0})), (std::vector<double>{0.75, 0}));
}

TEST_F(PrefixCacheScorerTest, EmptyCandidates) {
  EndpointSet none;
  FakeRequest request;
  EXPECT_TRUE(scorer_->score(request, none).empty());
  EXPECT_EQ(scorer_->status(), EPP_OK);
}

TEST_F(PrefixCacheScorerTest, AcceptsLegacyIndexParameters) {
  auto legacy = host_.create(plugin_, "prefix-cache-scorer",
                             ParamValue::map({{"hashBlockSize", 64},
                                              {"maxPrefixBlocksToMatch", 256},
                                              {"lruCapacityPerServer", 31250}}));
  ASSERT_NE(legacy, nullptr) << host_.lastError();
  EXPECT_TRUE(host_.logged("\"hashBlockSize\" is deprecated"));
  EXPECT_TRUE(host_.logged("Move them to an approx-prefix-cache-producer entry"));
  auto current = host_.create(
      plugin_, "prefix-cache-scorer",
      ParamValue::map(
          {{"autoTune", false}, {"blockSizeTokens", 64}, {"maxPrefixTokensToMatch", 16384}}));
  ASSERT_NE(current, nullptr) << host_.lastError();
  // The parameters do not change scoring.
  FakeRequest request;
  put(request, {eps_.view(1)->id}, {0.5});
  EXPECT_EQ(current->score(request, eps_), (std::vector<double>{0, 0.5, 0}));
}

TEST_F(PrefixCacheScorerTest, NoParametersLogsNothing) {
  EXPECT_FALSE(host_.logged("approx-prefix-cache-producer"));
}

TEST_F(PrefixCacheScorerTest, RejectsBadParameters) {
  EXPECT_EQ(host_.create(plugin_, "prefix-cache-scorer", ParamValue::map({{"blockSizeToken", 4}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"blockSizeToken\""), std::string::npos);
  EXPECT_EQ(
      host_.create(plugin_, "prefix-cache-scorer", ParamValue::map({{"autoTune", "sometimes"}})),
      nullptr);
  EXPECT_NE(host_.lastError().find("\"autoTune\" must be true or false"), std::string::npos);
  EXPECT_EQ(
      host_.create(plugin_, "prefix-cache-scorer", ParamValue::map({{"lruCapacityPerServer", -1}})),
      nullptr);
  EXPECT_NE(host_.lastError().find("\"lruCapacityPerServer\" must be between 1 and"),
            std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

#include "plugins/scorer/no_hit_lru_scorer/no_hit_lru_scorer.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"
#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeProfileResult;
using testing::FakeRequest;
using testing::ParamValue;

class NoHitLruScorerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> create(const ParamValue& params = ParamValue()) {
    auto scorer = host_.create(plugin_, "no-hit-lru-scorer", params);
    EXPECT_NE(scorer, nullptr) << host_.lastError();
    return scorer;
  }
  // Scores a cold request, then routes it to eps_[target]; returns its scores.
  std::vector<double> coldTo(testing::FakeInstance& scorer, size_t target) {
    FakeRequest request;
    auto scores = scorer.score(request, eps_);
    scorer.preRequest(request,
                      {FakeProfileResult{.name = "default", .targets = {eps_.view(target)}}});
    return scores;
  }
  static void putRatios(FakeRequest& request, const EndpointSet& eps,
                        const std::vector<double>& ratios) {
    std::vector<uint64_t> ids;
    for (size_t i = 0; i < ratios.size(); ++i) ids.push_back(eps.view(i)->id);
    request.dataPut(kMatchRatioKey, ids.data(), ratios.data(), ids.size());
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppNoHitLruScorerEntry);
  EndpointSet eps_{{}, {}, {}};
};

TEST_F(NoHitLruScorerTest, ColdRequestsGoRoundTheLeastRecentlyUsed) {
  auto scorer = create();
  // Nothing used yet: candidates in their order.
  EXPECT_EQ(coldTo(*scorer, 0), (std::vector<double>{1.0, 0.5, 0.0}));
  EXPECT_EQ(coldTo(*scorer, 1), (std::vector<double>{0.0, 1.0, 0.5}));
  EXPECT_EQ(coldTo(*scorer, 2), (std::vector<double>{0.5, 0.0, 1.0}));
  // Every endpoint used once: the oldest use first.
  EXPECT_EQ(coldTo(*scorer, 0), (std::vector<double>{1.0, 0.5, 0.0}));
  EXPECT_EQ(scorer->status(), EPP_OK);
}

TEST_F(NoHitLruScorerTest, ZeroMatchesEverywhereIsCold) {
  auto scorer = create();
  coldTo(*scorer, 0);
  FakeRequest request;
  putRatios(request, eps_, {0.0, 0.0, 0.0});
  EXPECT_EQ(scorer->score(request, eps_), (std::vector<double>{0.0, 1.0, 0.5}));
}

TEST_F(NoHitLruScorerTest, APrefixHitAnywhereIsNeutralAndLeavesTheOrder) {
  auto scorer = create();
  FakeRequest warm;
  putRatios(warm, eps_, {0.0, 0.25, 0.0});
  EXPECT_EQ(scorer->score(warm, eps_), (std::vector<double>{0.5, 0.5, 0.5}));
  scorer->preRequest(warm, {FakeProfileResult{.name = "default", .targets = {eps_.view(0)}}});
  // The warm request did not count as a cold use of endpoint 0.
  EXPECT_EQ(coldTo(*scorer, 1), (std::vector<double>{1.0, 0.5, 0.0}));
}

TEST_F(NoHitLruScorerTest, OneCandidateScoresOne) {
  auto scorer = create();
  EndpointSet one{{}};
  FakeRequest request;
  EXPECT_EQ(scorer->score(request, one), (std::vector<double>{1.0}));
}

TEST_F(NoHitLruScorerTest, RanksAmongTheCandidatesOnly) {
  auto scorer = create();
  coldTo(*scorer, 0);
  coldTo(*scorer, 1);
  // Endpoint 2 alone never used, but not a candidate: 0 and 1 still span [0, 1].
  FakeRequest request;
  EXPECT_EQ(scorer->score(request, eps_.subset({1, 0})), (std::vector<double>{0.0, 1.0}));
}

TEST_F(NoHitLruScorerTest, ThePrefillPickGrowsItsCacheToo) {
  auto scorer = create();
  FakeRequest request;
  scorer->score(request, eps_);
  scorer->preRequest(request,
                     {FakeProfileResult{.name = "decode", .targets = {eps_.view(2)}},
                      FakeProfileResult{.name = "prefill", .targets = {eps_.view(1)}}},
                     0);
  FakeRequest next;
  // Endpoint 2 (the primary, decode) and then 1 (prefill) were used; 0 never.
  EXPECT_EQ(scorer->score(next, eps_), (std::vector<double>{1.0, 0.0, 0.5}));
}

TEST_F(NoHitLruScorerTest, LruSizeBoundsWhatItRemembers) {
  auto scorer = create(ParamValue::map({{"lruSize", 1}}));
  coldTo(*scorer, 0);
  coldTo(*scorer, 1);  // evicts endpoint 0, which counts as never used again
  FakeRequest request;
  EXPECT_EQ(scorer->score(request, eps_), (std::vector<double>{1.0, 0.0, 0.5}));
}

TEST_F(NoHitLruScorerTest, ForgetsEndpointsThatLeft) {
  auto scorer = create();
  coldTo(*scorer, 0);
  scorer->endpointsRemoved({eps_.view(0)->id});
  FakeRequest request;
  EXPECT_EQ(scorer->score(request, eps_), (std::vector<double>{1.0, 0.5, 0.0}));
}

TEST_F(NoHitLruScorerTest, Parameters) {
  EXPECT_NE(create(ParamValue::map({{"prefixPluginType", "prefix-cache-scorer"},
                                    {"prefixPluginName", "prefix"},
                                    {"prefixMatchInfoProducerName", "p"}})),
            nullptr);
  EXPECT_TRUE(host_.logged("prefixPluginType is deprecated and ignored"));
  for (const auto& params :
       {ParamValue::map({{"lruSize", 0}}), ParamValue::map({{"lruSize", "big"}}),
        ParamValue::map({{"size", 10}})}) {
    EXPECT_EQ(host_.create(plugin_, "no-hit-lru-scorer", params), nullptr);
  }
}

}  // namespace
}  // namespace epp::plugins

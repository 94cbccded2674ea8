#include "plugins/scorer/token_load_scorer/token_load_scorer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "epp/testing/fake_host.h"
#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

namespace epp::plugins {
namespace {

using ::testing::DoubleNear;
using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeProfileResult;
using testing::FakeRequest;
using testing::FakeRequestSpec;
using testing::ParamValue;
using ::testing::Pointwise;

// A request whose prompt is `tokens` tokens of 4 characters.
FakeRequestSpec promptOf(size_t tokens) {
  return FakeRequestSpec{.prompt = std::string(tokens * 4, 'a')};
}

class TokenLoadScorerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> create(const ParamValue& params = ParamValue()) {
    auto scorer = host_.create(plugin_, "token-load-scorer", params);
    EXPECT_NE(scorer, nullptr) << host_.lastError();
    return scorer;
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppTokenLoadScorerEntry);
  EndpointSet eps_{{}, {}, {}};
};

TEST_F(TokenLoadScorerTest, IdleEndpointsScoreOneForAnEmptyPrompt) {
  auto scorer = create();
  FakeRequest empty;
  EXPECT_THAT(scorer->score(empty, eps_),
              Pointwise(DoubleNear(1e-12), std::vector<double>{1.0, 1.0, 1.0}));
  EXPECT_EQ(scorer->status(), EPP_OK);
}

TEST_F(TokenLoadScorerTest, InFlightTokensLowerTheScoreLinearly) {
  auto scorer = create(ParamValue::map({{"queueThresholdTokens", 1000}}));
  FakeRequest big(promptOf(500));
  scorer->preRequest(big, {FakeProfileResult{.name = "default", .targets = {eps_.view(0)}}});
  FakeRequest small(promptOf(250));
  scorer->preRequest(small, {FakeProfileResult{.name = "default", .targets = {eps_.view(1)}}});
  FakeRequest probe;  // no prompt of its own
  EXPECT_THAT(scorer->score(probe, eps_),
              Pointwise(DoubleNear(1e-12), std::vector<double>{0.5, 0.75, 1.0}));

  FakeRequest huge(promptOf(2000));
  scorer->preRequest(huge, {FakeProfileResult{.name = "default", .targets = {eps_.view(0)}}});
  EXPECT_THAT(scorer->score(probe, eps_),
              Pointwise(DoubleNear(1e-12), std::vector<double>{0.0, 0.75, 1.0}));

  scorer->requestComplete(huge, nullptr, EPP_OUTCOME_COMPLETED);
  scorer->requestComplete(big, nullptr, EPP_OUTCOME_CANCELLED);
  EXPECT_THAT(scorer->score(probe, eps_),
              Pointwise(DoubleNear(1e-12), std::vector<double>{1.0, 0.75, 1.0}));
}

TEST_F(TokenLoadScorerTest, TheRequestsOwnTokensCountOnEveryCandidate) {
  auto scorer = create(ParamValue::map({{"queueThresholdTokens", 1000}}));
  FakeRequest request(promptOf(100));
  EXPECT_THAT(scorer->score(request, eps_),
              Pointwise(DoubleNear(1e-12), std::vector<double>{0.9, 0.9, 0.9}));
}

TEST_F(TokenLoadScorerTest, CachedPrefixIsNotCounted) {
  auto scorer = create(ParamValue::map({{"queueThresholdTokens", 1000}}));
  FakeRequest request(promptOf(400));
  const uint64_t ids[] = {eps_.view(0)->id, eps_.view(1)->id};
  const double ratios[] = {0.75, 0.0};
  request.dataPut(kMatchRatioKey, ids, ratios, 2);
  // 100 uncached tokens on the first endpoint, 400 on the others.
  EXPECT_THAT(scorer->score(request, eps_),
              Pointwise(DoubleNear(1e-12), std::vector<double>{0.9, 0.6, 0.6}));
  // Booking also counts only what the target has to prefill.
  scorer->preRequest(request, {FakeProfileResult{.name = "default", .targets = {eps_.view(0)}}});
  FakeRequest probe;
  EXPECT_THAT(scorer->score(probe, eps_),
              Pointwise(DoubleNear(1e-12), std::vector<double>{0.9, 1.0, 1.0}));
}

TEST_F(TokenLoadScorerTest, TokenIdsWinOverTheCharacterEstimate) {
  auto scorer = create(ParamValue::map({{"queueThresholdTokens", 10}}));
  FakeRequest request(FakeRequestSpec{.prompt = std::string(400, 'a'), .tokenIds = {1, 2, 3}});
  EXPECT_DOUBLE_EQ(scorer->score(request, eps_)[0], 0.7);
}

TEST_F(TokenLoadScorerTest, DefaultThresholdIsFourMebiTokens) {
  auto scorer = create();
  FakeRequest request(promptOf(4194304 / 4));
  EXPECT_DOUBLE_EQ(scorer->score(request, eps_)[0], 0.75);
}

TEST_F(TokenLoadScorerTest, ForgetsEndpointsThatLeft) {
  auto scorer = create(ParamValue::map({{"queueThresholdTokens", 100}}));
  FakeRequest request(promptOf(50));
  scorer->preRequest(request, {FakeProfileResult{.name = "default", .targets = {eps_.view(2)}}});
  scorer->endpointsRemoved({eps_.view(2)->id});
  FakeRequest probe;
  EXPECT_THAT(scorer->score(probe, eps_),
              Pointwise(DoubleNear(1e-12), std::vector<double>{1.0, 1.0, 1.0}));
}

TEST_F(TokenLoadScorerTest, Parameters) {
  EXPECT_NE(create(ParamValue::map(
                {{"nonTextTokenWeight", 2.0}, {"inFlightLoadProducerName", "inflight"}})),
            nullptr);
  for (const auto& params :
       {ParamValue::map({{"queueThresholdTokens", 0}}),
        ParamValue::map({{"queueThresholdTokens", 1.5}}),
        ParamValue::map({{"nonTextTokenWeight", -1}}), ParamValue::map({{"threshold", 10}})}) {
    EXPECT_EQ(host_.create(plugin_, "token-load-scorer", params), nullptr);
  }
  EXPECT_NE(host_.lastError().find("unknown parameter \"threshold\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

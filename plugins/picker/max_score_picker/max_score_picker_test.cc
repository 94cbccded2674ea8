#include "plugins/picker/max_score_picker/max_score_picker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class MaxScorePickerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "max-score-picker", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppMaxScorePickerEntry);
  EndpointSet four_{std::vector<FakeEndpoint>(4)};
  FakeRequest request_;
};

TEST_F(MaxScorePickerTest, PicksTheHighestScoreByDefault) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  EXPECT_EQ(p->pick(request_, four_, {0.5, 2.5, 1.0, 2.0}), (std::vector<uint32_t>{1}));
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(MaxScorePickerTest, PicksTopNHighestFirst) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  EXPECT_EQ(p->pick(request_, four_, {0.5, 2.5, 1.0, 2.0}), (std::vector<uint32_t>{1, 3, 2}));
}

TEST_F(MaxScorePickerTest, NLargerThanCandidatesReturnsAllSorted) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 10}}));
  EXPECT_EQ(p->pick(request_, four_, {3, 1, 4, 2}), (std::vector<uint32_t>{2, 0, 3, 1}));
}

TEST_F(MaxScorePickerTest, RawWeightedSumsAboveOneAreFine) {
  auto p = make();
  EXPECT_EQ(p->pick(request_, four_, {7.0, 6.99, 0.0, 5.5}), (std::vector<uint32_t>{0}));
}

TEST_F(MaxScorePickerTest, TiesAreBrokenUniformlyAtRandom) {
  auto p = make();
  std::map<uint32_t, int> wins;
  const int kRuns = 3000;
  for (int seed = 0; seed < kRuns; ++seed) {
    FakeRequest request({.seed = static_cast<uint64_t>(seed)});
    auto picked = p->pick(request, four_, {1.0, 3.0, 3.0, 3.0});
    ASSERT_EQ(picked.size(), 1u);
    ++wins[picked[0]];
  }
  EXPECT_EQ(wins.count(0), 0u);
  for (uint32_t i : {1u, 2u, 3u}) EXPECT_NEAR(wins[i], kRuns / 3.0, kRuns * 0.05) << i;
}

TEST_F(MaxScorePickerTest, SameSeedSamePick) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 4}}));
  FakeRequest a({.seed = 7});
  FakeRequest b({.seed = 7});
  EXPECT_EQ(p->pick(a, four_, {1, 1, 1, 1}), p->pick(b, four_, {1, 1, 1, 1}));
}

TEST_F(MaxScorePickerTest, AllEqualPicksDistinctEndpoints) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 4}}));
  auto picked = p->pick(request_, four_, {0, 0, 0, 0});
  std::sort(picked.begin(), picked.end());
  EXPECT_EQ(picked, (std::vector<uint32_t>{0, 1, 2, 3}));
}

TEST_F(MaxScorePickerTest, NanNeverWins) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 2}}));
  EXPECT_EQ(p->pick(request_, four_, {std::nan(""), 0.1, std::nan(""), 0.0}),
            (std::vector<uint32_t>{1, 3}));
}

TEST_F(MaxScorePickerTest, EmptyCandidatesPickNothing) {
  auto p = make();
  EndpointSet none;
  EXPECT_TRUE(p->pick(request_, none, {}).empty());
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(MaxScorePickerTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoint", 2}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"maxNumOfEndpoint\""), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", "two"}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxNumOfEndpoints\" must be an integer"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", 0}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxNumOfEndpoints\" must be between 1 and"),
            std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

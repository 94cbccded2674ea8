#include "plugins/picker/weighted_random_picker/weighted_random_picker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class WeightedRandomPickerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "weighted-random-picker", params);
  }
  // How often each candidate is picked first over kRuns seeds.
  std::map<uint32_t, int> firstPicks(testing::FakeInstance& p, const std::vector<double>& scores) {
    std::map<uint32_t, int> wins;
    for (int seed = 0; seed < kRuns; ++seed) {
      FakeRequest request({.seed = static_cast<uint64_t>(seed)});
      auto picked = p.pick(request, four_, scores);
      EXPECT_FALSE(picked.empty());
      if (!picked.empty()) ++wins[picked[0]];
    }
    return wins;
  }
  static constexpr int kRuns = 6000;
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppWeightedRandomPickerEntry);
  EndpointSet four_{std::vector<FakeEndpoint>(4)};
};

TEST_F(WeightedRandomPickerTest, PicksInProportionToScore) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  auto wins = firstPicks(*p, {1.0, 2.0, 3.0, 4.0});
  EXPECT_EQ(p->status(), EPP_OK);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(wins[i] / static_cast<double>(kRuns), (i + 1) / 10.0, 0.02) << i;
  }
}

TEST_F(WeightedRandomPickerTest, TinyWeightsStillWork) {
  auto p = make();
  auto wins = firstPicks(*p, {1e-300, 3e-300, 0.0, 0.0});
  EXPECT_NEAR(wins[1] / static_cast<double>(kRuns), 0.75, 0.03);
  EXPECT_EQ(wins[2] + wins[3], 0);
}

TEST_F(WeightedRandomPickerTest, ZeroScoresComeAfterEveryPositiveOne) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 4}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  std::map<uint32_t, int> third;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    FakeRequest request({.seed = seed});
    auto picked = p->pick(request, four_, {0.0, 0.5, 0.0, 2.0});
    ASSERT_EQ(picked.size(), 4u);
    EXPECT_EQ(std::set<uint32_t>(picked.begin(), picked.begin() + 2), (std::set<uint32_t>{1, 3}));
    ++third[picked[2]];
  }
  // The zero-score candidates follow in random order.
  EXPECT_NEAR(third[0], 1000, 100);
  EXPECT_NEAR(third[2], 1000, 100);
}

TEST_F(WeightedRandomPickerTest, AllZeroFallsBackToUniform) {
  auto p = make();
  auto wins = firstPicks(*p, {0.0, 0.0, 0.0, 0.0});
  for (uint32_t i = 0; i < 4; ++i) EXPECT_NEAR(wins[i], kRuns / 4.0, kRuns * 0.03) << i;
}

TEST_F(WeightedRandomPickerTest, NegativeAndNanScoresCountAsZero) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 2}}));
  for (uint64_t seed = 0; seed < 200; ++seed) {
    FakeRequest request({.seed = seed});
    auto picked = p->pick(request, four_, {-1.0, std::nan(""), 0.1, 0.0});
    ASSERT_EQ(picked.size(), 2u);
    EXPECT_EQ(picked[0], 2u);
  }
}

TEST_F(WeightedRandomPickerTest, PicksNDistinctAndAtMostTheCandidates) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 6}}));
  FakeRequest request;
  auto picked = p->pick(request, four_, {1, 1, 1, 1});
  EXPECT_EQ(std::set<uint32_t>(picked.begin(), picked.end()), (std::set<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(picked.size(), 4u);
}

TEST_F(WeightedRandomPickerTest, SameSeedSamePick) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  FakeRequest a({.seed = 5});
  FakeRequest b({.seed = 5});
  EXPECT_EQ(p->pick(a, four_, {1, 2, 3, 4}), p->pick(b, four_, {1, 2, 3, 4}));
}

TEST_F(WeightedRandomPickerTest, EmptyCandidatesPickNothing) {
  auto p = make();
  EndpointSet none;
  FakeRequest request;
  EXPECT_TRUE(p->pick(request, none, {}).empty());
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(WeightedRandomPickerTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"temperature", 1}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"temperature\""), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", "all"}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxNumOfEndpoints\" must be an integer"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", 0}})), nullptr);
  EXPECT_NE(host_.lastError().find("must be between 1 and"), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

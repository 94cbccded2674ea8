#include "plugins/picker/power_of_two_picker/power_of_two_picker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class PowerOfTwoPickerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "power-of-two-picker", params);
  }
  // How often each candidate is the primary over `runs` seeds.
  std::map<uint32_t, int> primaries(testing::FakeInstance& p, const EndpointSet& eps,
                                    const std::vector<double>& scores, int runs) {
    std::map<uint32_t, int> wins;
    for (int seed = 0; seed < runs; ++seed) {
      FakeRequest request({.seed = static_cast<uint64_t>(seed)});
      auto picked = p.pick(request, eps, scores);
      EXPECT_EQ(picked.size(), 1u);
      EXPECT_EQ(p.status(), EPP_OK);
      if (!picked.empty()) ++wins[picked[0]];
    }
    return wins;
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppPowerOfTwoPickerEntry);
  EndpointSet four_{std::vector<FakeEndpoint>(4)};
};

TEST_F(PowerOfTwoPickerTest, OfTwoTheHigherScoreAlwaysWins) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  EndpointSet two{std::vector<FakeEndpoint>(2)};
  EXPECT_EQ(primaries(*p, two, {0.2, 1.7}, 200), (std::map<uint32_t, int>{{1, 200}}));
}

TEST_F(PowerOfTwoPickerTest, WinsInProportionToHowManyPairsAnEndpointBeats) {
  auto p = make();
  // Of the 6 equally likely pairs, the best is in 3, the second beats the rest in 2, the
  // third in 1, the worst in none.
  const int kRuns = 6000;
  auto wins = primaries(*p, four_, {4.0, 3.0, 2.0, 1.0}, kRuns);
  EXPECT_NEAR(wins[0], kRuns / 2.0, kRuns * 0.03);
  EXPECT_NEAR(wins[1], kRuns / 3.0, kRuns * 0.03);
  EXPECT_NEAR(wins[2], kRuns / 6.0, kRuns * 0.03);
  EXPECT_EQ(wins.count(3), 0u);
}

TEST_F(PowerOfTwoPickerTest, TiesAreUniform) {
  auto p = make();
  const int kRuns = 4000;
  auto wins = primaries(*p, four_, {1.0, 1.0, 1.0, 1.0}, kRuns);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_NEAR(wins[i], kRuns / 4.0, kRuns * 0.04) << i;
}

TEST_F(PowerOfTwoPickerTest, FallbacksAreDistinctFurtherDraws) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 4}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  for (int seed = 0; seed < 50; ++seed) {
    FakeRequest request({.seed = static_cast<uint64_t>(seed)});
    auto picked = p->pick(request, four_, {4.0, 3.0, 2.0, 1.0});
    ASSERT_EQ(picked.size(), 4u);
    // The worst of four can never be a pair's winner while two others are left.
    EXPECT_NE(picked[0], 3u);
    EXPECT_NE(picked[1], 3u);
    std::sort(picked.begin(), picked.end());
    EXPECT_EQ(picked, (std::vector<uint32_t>{0, 1, 2, 3}));
  }
}

TEST_F(PowerOfTwoPickerTest, SameSeedSamePick) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 2}}));
  FakeRequest a({.seed = 11});
  FakeRequest b({.seed = 11});
  EXPECT_EQ(p->pick(a, four_, {1, 2, 1, 2}), p->pick(b, four_, {1, 2, 1, 2}));
}

TEST_F(PowerOfTwoPickerTest, OneCandidateAndNone) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  FakeRequest request;
  EndpointSet one{{.address = "10.0.0.9"}};
  EXPECT_EQ(p->pick(request, one, {0.0}), (std::vector<uint32_t>{0}));
  EndpointSet none;
  EXPECT_TRUE(p->pick(request, none, {}).empty());
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(PowerOfTwoPickerTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", -1}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxNumOfEndpoints\" must be between 1 and"),
            std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"choices", 3}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"choices\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

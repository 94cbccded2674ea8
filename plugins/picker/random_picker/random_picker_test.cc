#include "plugins/picker/random_picker/random_picker.h"

#include <gtest/gtest.h>

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

class RandomPickerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "random-picker", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppRandomPickerEntry);
  EndpointSet four_{std::vector<FakeEndpoint>(4)};
};

TEST_F(RandomPickerTest, PicksOneUniformlyIgnoringScores) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  std::map<uint32_t, int> wins;
  const int kRuns = 4000;
  for (int seed = 0; seed < kRuns; ++seed) {
    FakeRequest request({.seed = static_cast<uint64_t>(seed)});
    auto picked = p->pick(request, four_, {100.0, 0.0, 0.0, 0.0});
    ASSERT_EQ(picked.size(), 1u);
    ASSERT_EQ(p->status(), EPP_OK);
    ++wins[picked[0]];
  }
  for (uint32_t i = 0; i < 4; ++i) EXPECT_NEAR(wins[i], kRuns / 4.0, kRuns * 0.04) << i;
}

TEST_F(RandomPickerTest, PicksNDistinct) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  for (uint64_t seed = 0; seed < 200; ++seed) {
    FakeRequest request({.seed = seed});
    auto picked = p->pick(request, four_, {1, 2, 3, 4});
    ASSERT_EQ(picked.size(), 3u);
    std::set<uint32_t> distinct(picked.begin(), picked.end());
    EXPECT_EQ(distinct.size(), 3u);
    for (uint32_t i : picked) EXPECT_LT(i, 4u);
  }
}

TEST_F(RandomPickerTest, NLargerThanCandidatesReturnsAllOnce) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 9}}));
  FakeRequest request;
  auto picked = p->pick(request, four_, {0, 0, 0, 0});
  std::sort(picked.begin(), picked.end());
  EXPECT_EQ(picked, (std::vector<uint32_t>{0, 1, 2, 3}));
}

TEST_F(RandomPickerTest, SameSeedSamePick) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 2}}));
  FakeRequest a({.seed = 11});
  FakeRequest b({.seed = 11});
  EXPECT_EQ(p->pick(a, four_, {1, 1, 1, 1}), p->pick(b, four_, {1, 1, 1, 1}));
}

TEST_F(RandomPickerTest, EmptyCandidatesPickNothing) {
  auto p = make();
  EndpointSet none;
  FakeRequest request;
  EXPECT_TRUE(p->pick(request, none, {}).empty());
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(RandomPickerTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"seed", 1}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"seed\""), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", 1.5}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxNumOfEndpoints\" must be an integer"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", -2}})), nullptr);
  EXPECT_NE(host_.lastError().find("must be between 1 and"), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

#include "plugins/splitter/weighted_splitter/weighted_splitter.h"

#include <gtest/gtest.h>

#include <map>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class WeightedSplitterTest : public ::testing::Test {
 protected:
  // Share of kRuns seeded requests each target gets.
  std::map<uint32_t, double> shares(const std::vector<std::pair<std::string, double>>& targets) {
    auto s = host_.create(plugin_, "weighted-splitter");
    EXPECT_NE(s, nullptr) << host_.lastError();
    std::map<uint32_t, double> out;
    for (uint64_t seed = 0; seed < kRuns; ++seed) {
      FakeRequest r({.seed = seed});
      uint32_t chosen = s->split(r, targets);
      EXPECT_EQ(s->status(), EPP_OK);
      EXPECT_LT(chosen, targets.size());
      out[chosen] += 1.0 / kRuns;
    }
    return out;
  }
  static constexpr uint64_t kRuns = 20000;
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppWeightedSplitterEntry);
};

TEST_F(WeightedSplitterTest, SplitsByWeight) {
  auto got = shares({{"v1", 90}, {"v2", 10}});
  EXPECT_NEAR(got[0], 0.90, 0.01);
  EXPECT_NEAR(got[1], 0.10, 0.01);
}

TEST_F(WeightedSplitterTest, WeightsNeedNotAddUpToAnything) {
  auto got = shares({{"a", 1}, {"b", 2}, {"c", 0}, {"d", 1}});
  EXPECT_NEAR(got[0], 0.25, 0.01);
  EXPECT_NEAR(got[1], 0.50, 0.01);
  EXPECT_EQ(got.count(2), 0u) << "a zero-weight target is never chosen";
  EXPECT_NEAR(got[3], 0.25, 0.01);
}

TEST_F(WeightedSplitterTest, SameSeedSameTarget) {
  auto s = host_.create(plugin_, "weighted-splitter");
  for (uint64_t seed = 0; seed < 50; ++seed) {
    FakeRequest a({.seed = seed});
    FakeRequest b({.seed = seed});
    EXPECT_EQ(s->split(a, {{"x", 1}, {"y", 1}}), s->split(b, {{"x", 1}, {"y", 1}}));
  }
}

TEST_F(WeightedSplitterTest, TakesNoParameters) {
  EXPECT_EQ(host_.create(plugin_, "weighted-splitter", ParamValue::map({{"weights", 1}})), nullptr);
  EXPECT_NE(host_.lastError().find("weights"), std::string::npos) << host_.lastError();
}

}  // namespace
}  // namespace epp::plugins

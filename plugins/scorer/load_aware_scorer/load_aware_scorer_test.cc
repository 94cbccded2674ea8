#include "plugins/scorer/load_aware_scorer/load_aware_scorer.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class LoadAwareScorerTest : public ::testing::Test {
 protected:
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLoadAwareScorerEntry);
  FakeRequest request_;
};

TEST_F(LoadAwareScorerTest, HalfForAnEmptyQueueFallingToZeroAtTheDefaultThreshold) {
  auto scorer = host_.create(plugin_, "load-aware-scorer");
  ASSERT_NE(scorer, nullptr) << host_.lastError();
  EndpointSet eps(
      {{.waiting = 0}, {.waiting = 32}, {.waiting = 64}, {.waiting = 128}, {.waiting = 1000}});
  auto s = scorer->score(request_, eps);
  EXPECT_EQ(scorer->status(), EPP_OK);
  EXPECT_DOUBLE_EQ(s[0], 0.5);
  EXPECT_DOUBLE_EQ(s[1], 0.375);
  EXPECT_DOUBLE_EQ(s[2], 0.25);
  EXPECT_DOUBLE_EQ(s[3], 0.0);
  EXPECT_DOUBLE_EQ(s[4], 0.0);
}

TEST_F(LoadAwareScorerTest, ThresholdParameter) {
  auto scorer = host_.create(plugin_, "load-aware-scorer", ParamValue::map({{"threshold", 10}}));
  ASSERT_NE(scorer, nullptr) << host_.lastError();
  EndpointSet eps({{.waiting = 1}, {.waiting = 5}, {.waiting = 10}});
  auto s = scorer->score(request_, eps);
  EXPECT_DOUBLE_EQ(s[0], 0.45);
  EXPECT_DOUBLE_EQ(s[1], 0.25);
  EXPECT_DOUBLE_EQ(s[2], 0.0);
}

TEST_F(LoadAwareScorerTest, AbsoluteNotRelative) {
  // Two equally loaded endpoints score below 0.5: the score does not rank, it measures.
  auto scorer = host_.create(plugin_, "load-aware-scorer");
  EndpointSet eps({{.waiting = 64}, {.waiting = 64}});
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{0.25, 0.25}));
}

TEST_F(LoadAwareScorerTest, EndpointWithoutMetricsScoresZero) {
  auto scorer = host_.create(plugin_, "load-aware-scorer");
  EndpointSet eps(std::vector<FakeEndpoint>{{.waiting = 0, .flags = EPP_ENDPOINT_FLAG_NO_METRICS},
                                            {.waiting = 0, .flags = EPP_ENDPOINT_FLAG_STALE},
                                            {.waiting = -3}});
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{0.0, 0.5, 0.5}));
}

TEST_F(LoadAwareScorerTest, RejectsBadParameters) {
  EXPECT_EQ(host_.create(plugin_, "load-aware-scorer", ParamValue::map({{"threshold", 0}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("parameter \"threshold\" must be between 1 and"),
            std::string::npos)
      << host_.lastError();
  EXPECT_EQ(host_.create(plugin_, "load-aware-scorer", ParamValue::map({{"threshold", "many"}})),
            nullptr);
  EXPECT_EQ(host_.create(plugin_, "load-aware-scorer", ParamValue::map({{"queueThreshold", 5}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"queueThreshold\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

#include "plugins/scorer/running_requests_size_scorer/running_requests_size_scorer.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class RunningRequestsSizeScorerTest : public ::testing::Test {
 protected:
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppRunningRequestsSizeScorerEntry);
  std::unique_ptr<testing::FakeInstance> scorer_ =
      host_.create(plugin_, "running-requests-size-scorer");
  FakeRequest request_;
};

TEST_F(RunningRequestsSizeScorerTest, MinMaxNormalisesRunningRequests) {
  ASSERT_NE(scorer_, nullptr) << host_.lastError();
  EndpointSet eps({{.running = 4}, {.running = 12}, {.running = 6}});
  auto s = scorer_->score(request_, eps);
  EXPECT_EQ(scorer_->status(), EPP_OK);
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[1], 0.0);
  EXPECT_DOUBLE_EQ(s[2], 0.75);
}

TEST_F(RunningRequestsSizeScorerTest, IgnoresWaitingQueue) {
  EndpointSet eps({{.waiting = 50, .running = 1}, {.waiting = 0, .running = 3}});
  EXPECT_EQ(scorer_->score(request_, eps), (std::vector<double>{1.0, 0.0}));
}

TEST_F(RunningRequestsSizeScorerTest, EqualLoadAllScoreOne) {
  EndpointSet eps({{.running = 7}, {.running = 7}, {.running = 7}});
  EXPECT_EQ(scorer_->score(request_, eps), (std::vector<double>{1.0, 1.0, 1.0}));
  EndpointSet one(std::vector<FakeEndpoint>{{.running = 100}});
  EXPECT_EQ(scorer_->score(request_, one), (std::vector<double>{1.0}));
}

TEST_F(RunningRequestsSizeScorerTest, EndpointsWithoutMetricsScoreZeroAndStayOutOfTheRange) {
  EndpointSet eps(
      {{.running = 0, .flags = EPP_ENDPOINT_FLAG_NO_METRICS}, {.running = 2}, {.running = 10}});
  auto s = scorer_->score(request_, eps);
  EXPECT_DOUBLE_EQ(s[0], 0.0);
  EXPECT_DOUBLE_EQ(s[1], 1.0);  // the minimum is 2, not the unknown endpoint's 0
  EXPECT_DOUBLE_EQ(s[2], 0.0);
  EndpointSet unknown(
      {{.flags = EPP_ENDPOINT_FLAG_NO_METRICS}, {.flags = EPP_ENDPOINT_FLAG_NO_METRICS}});
  EXPECT_EQ(scorer_->score(request_, unknown), (std::vector<double>{0.0, 0.0}));
}

TEST_F(RunningRequestsSizeScorerTest, EmptyCandidates) {
  EndpointSet none;
  EXPECT_TRUE(scorer_->score(request_, none).empty());
  EXPECT_EQ(scorer_->status(), EPP_OK);
}

TEST_F(RunningRequestsSizeScorerTest, RejectsParameters) {
  EXPECT_EQ(
      host_.create(plugin_, "running-requests-size-scorer", ParamValue::map({{"threshold", 3}})),
      nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"threshold\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

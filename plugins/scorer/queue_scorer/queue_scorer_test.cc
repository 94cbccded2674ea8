#include "plugins/scorer/queue_scorer/queue_scorer.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeRequest;

class QueueScorerTest : public ::testing::Test {
 protected:
  FakeHost host_;
  std::unique_ptr<testing::FakeInstance> scorer_ =
      host_.create(host_.load(&eppQueueScorerEntry), "queue-scorer");
  FakeRequest request_;
};

TEST_F(QueueScorerTest, MinMaxNormalisesWaitingQueues) {
  ASSERT_NE(scorer_, nullptr) << host_.lastError();
  EndpointSet eps({{.waiting = 2}, {.waiting = 10}, {.waiting = 6}});
  auto s = scorer_->score(request_, eps);
  EXPECT_EQ(scorer_->status(), EPP_OK);
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[1], 0.0);
  EXPECT_DOUBLE_EQ(s[2], 0.5);
}

TEST_F(QueueScorerTest, EqualQueuesAllScoreOne) {
  EndpointSet eps({{.waiting = 4}, {.waiting = 4}});
  EXPECT_EQ(scorer_->score(request_, eps), (std::vector<double>{1.0, 1.0}));
  EndpointSet one({{.waiting = 100}});
  EXPECT_EQ(scorer_->score(request_, one), (std::vector<double>{1.0}));
}

TEST_F(QueueScorerTest, RejectsParameters) {
  EXPECT_EQ(host_.create(host_.load(&eppQueueScorerEntry), "queue-scorer",
                         testing::ParamValue::map({{"threshold", 1}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"threshold\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

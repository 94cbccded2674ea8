#include "plugins/scorer/kv_cache_utilization_scorer/kv_cache_utilization_scorer.h"

#include <gtest/gtest.h>

#include <limits>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class KvCacheUtilizationScorerTest : public ::testing::Test {
 protected:
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppKvCacheUtilizationScorerEntry);
  std::unique_ptr<testing::FakeInstance> scorer_ =
      host_.create(plugin_, "kv-cache-utilization-scorer");
  FakeRequest request_;
};

TEST_F(KvCacheUtilizationScorerTest, ScoresFreeCache) {
  ASSERT_NE(scorer_, nullptr) << host_.lastError();
  EndpointSet eps({{.kvCacheUsage = 0.0}, {.kvCacheUsage = 0.25}, {.kvCacheUsage = 1.0}});
  auto s = scorer_->score(request_, eps);
  EXPECT_EQ(scorer_->status(), EPP_OK);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[0], 1.0);
  EXPECT_DOUBLE_EQ(s[1], 0.75);
  EXPECT_DOUBLE_EQ(s[2], 0.0);
}

TEST_F(KvCacheUtilizationScorerTest, ClampsOutOfRangeUsage) {
  EndpointSet eps({{.kvCacheUsage = -0.5}, {.kvCacheUsage = 1.7}});
  EXPECT_EQ(scorer_->score(request_, eps), (std::vector<double>{1.0, 0.0}));
}

TEST_F(KvCacheUtilizationScorerTest, EqualUsageScoresEqual) {
  EndpointSet eps({{.kvCacheUsage = 0.4}, {.kvCacheUsage = 0.4}});
  auto s = scorer_->score(request_, eps);
  EXPECT_DOUBLE_EQ(s[0], 0.6);
  EXPECT_DOUBLE_EQ(s[1], 0.6);
}

TEST_F(KvCacheUtilizationScorerTest, MissingOrGarbledMetricsScoreZero) {
  EndpointSet eps({{.kvCacheUsage = 0.0, .flags = EPP_ENDPOINT_FLAG_NO_METRICS},
                   {.kvCacheUsage = std::numeric_limits<double>::quiet_NaN()},
                   {.kvCacheUsage = 0.5, .flags = EPP_ENDPOINT_FLAG_STALE}});
  auto s = scorer_->score(request_, eps);
  EXPECT_EQ(scorer_->status(), EPP_OK);
  EXPECT_DOUBLE_EQ(s[0], 0.0);
  EXPECT_DOUBLE_EQ(s[1], 0.0);
  EXPECT_DOUBLE_EQ(s[2], 0.5);  // stale metrics are still the best knowledge there is
}

TEST_F(KvCacheUtilizationScorerTest, EmptyCandidates) {
  EndpointSet none;
  EXPECT_TRUE(scorer_->score(request_, none).empty());
  EXPECT_EQ(scorer_->status(), EPP_OK);
}

TEST_F(KvCacheUtilizationScorerTest, RejectsParameters) {
  EXPECT_EQ(
      host_.create(plugin_, "kv-cache-utilization-scorer", ParamValue::map({{"threshold", 1}})),
      nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"threshold\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

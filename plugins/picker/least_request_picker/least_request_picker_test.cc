#include "plugins/picker/least_request_picker/least_request_picker.h"

#include <gtest/gtest.h>

#include <map>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class LeastRequestPickerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "least-request-picker", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLeastRequestPickerEntry);
  FakeRequest request_;
};

TEST_F(LeastRequestPickerTest, PicksTheFewestInflightRequestsIgnoringServerMetrics) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  EndpointSet eps{{.waiting = 0, .running = 0, .inflight = 7},
                  {.waiting = 50, .running = 50, .inflight = 2},
                  {.waiting = 0, .running = 1, .inflight = 5}};
  // The profile's scores do not outweigh load.
  EXPECT_EQ(p->pick(request_, eps, {9.0, 0.0, 9.0}), (std::vector<uint32_t>{1}));
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(LeastRequestPickerTest, FallbacksInOrderOfLoad) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  EndpointSet eps{{.inflight = 4}, {.inflight = 1}, {.inflight = 9}, {.inflight = 2}};
  EXPECT_EQ(p->pick(request_, eps, {0, 0, 0, 0}), (std::vector<uint32_t>{1, 3, 0}));
}

TEST_F(LeastRequestPickerTest, MetricsSourceCountsWaitingAndRunning) {
  auto p = make(ParamValue::map({{"source", "metrics"}, {"maxNumOfEndpoints", 3}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  EndpointSet eps{{.waiting = 3, .running = 3, .inflight = 0},
                  {.waiting = 0, .running = 2, .inflight = 30},
                  {.waiting = 0, .running = 0, .flags = EPP_ENDPOINT_FLAG_NO_METRICS}};
  // The endpoint without metrics is last, not "idle".
  EXPECT_EQ(p->pick(request_, eps, {0, 0, 0}), (std::vector<uint32_t>{1, 0, 2}));
}

TEST_F(LeastRequestPickerTest, EqualLoadGoesToTheHigherScore) {
  auto p = make();
  EndpointSet eps{{.inflight = 2}, {.inflight = 2}, {.inflight = 3}};
  EXPECT_EQ(p->pick(request_, eps, {0.1, 0.8, 5.0}), (std::vector<uint32_t>{1}));
}

TEST_F(LeastRequestPickerTest, FullTiesAreBrokenUniformlyAtRandom) {
  auto p = make();
  EndpointSet eps{{.inflight = 1}, {.inflight = 1}, {.inflight = 1}, {.inflight = 4}};
  std::map<uint32_t, int> wins;
  const int kRuns = 3000;
  for (int seed = 0; seed < kRuns; ++seed) {
    FakeRequest request({.seed = static_cast<uint64_t>(seed)});
    ++wins[p->pick(request, eps, {1, 1, 1, 1}).at(0)];
  }
  EXPECT_EQ(wins.count(3), 0u);
  for (uint32_t i : {0u, 1u, 2u}) EXPECT_NEAR(wins[i], kRuns / 3.0, kRuns * 0.05) << i;
}

TEST_F(LeastRequestPickerTest, OneCandidateAndNone) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 2}}));
  EndpointSet one{{.inflight = 100}};
  EXPECT_EQ(p->pick(request_, one, {0}), (std::vector<uint32_t>{0}));
  EndpointSet none;
  EXPECT_TRUE(p->pick(request_, none, {}).empty());
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(LeastRequestPickerTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"source", "queue"}})), nullptr);
  EXPECT_NE(host_.lastError().find("parameter \"source\" must be \"inflight\" or \"metrics\""),
            std::string::npos)
      << host_.lastError();
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", 0}})), nullptr);
  EXPECT_EQ(make(ParamValue::map({{"sources", "metrics"}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"sources\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

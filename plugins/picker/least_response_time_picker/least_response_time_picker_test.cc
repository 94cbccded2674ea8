#include "plugins/picker/least_response_time_picker/least_response_time_picker.h"

#include <gtest/gtest.h>

#include <map>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::FakeResponse;
using testing::ParamValue;

constexpr int64_t kMs = 1'000'000;
constexpr char kGauge[] = "eppd_picker_response_time_estimate_seconds";

class LeastResponseTimePickerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "least-response-time-picker", params);
  }
  // One request that reached `endpoint`: its first byte after `firstByteMs`, complete after
  // `completeMs`, with `status`.
  void complete(testing::FakeInstance& p, const epp_endpoint_view* endpoint, int64_t firstByteMs,
                int64_t completeMs = 0, int32_t status = 200,
                epp_request_outcome outcome = EPP_OUTCOME_COMPLETED) {
    const int64_t start = 5'000 * kMs;
    FakeRequest request({.receivedNs = start});
    FakeResponse response{.status = status,
                          .endpoint = endpoint,
                          .firstByteNs = start + firstByteMs * kMs,
                          .completedNs = start + std::max(completeMs, firstByteMs) * kMs};
    p.requestComplete(request, &response, outcome);
  }
  double estimateMs(const std::string& hostPort) const {
    return host_.metricValue(kGauge, "least-response-time-picker", {hostPort}) * 1e3;
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLeastResponseTimePickerEntry);
  FakeRequest request_;
  EndpointSet eps_{{.address = "10.0.0.1"}, {.address = "10.0.0.2"}, {.address = "10.0.0.3"}};
};

TEST_F(LeastResponseTimePickerTest, PrefersTheEndpointThatAnswersFastest) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  complete(*p, eps_.view(0), 400);
  complete(*p, eps_.view(1), 100);
  complete(*p, eps_.view(2), 250);
  EXPECT_EQ(p->pick(request_, eps_, {0, 0, 0}), (std::vector<uint32_t>{1, 2, 0}));
  EXPECT_EQ(p->status(), EPP_OK);
  EXPECT_DOUBLE_EQ(estimateMs("10.0.0.2:8000"), 100);
}

TEST_F(LeastResponseTimePickerTest, InflightRequestsMultiplyTheExpectedWait) {
  auto p = make();
  EndpointSet eps{{.address = "10.0.0.1", .inflight = 0}, {.address = "10.0.0.2", .inflight = 4}};
  complete(*p, eps.view(0), 300);
  complete(*p, eps.view(1), 100);
  // 300 ms x 1 beats 100 ms x 5.
  EXPECT_EQ(p->pick(request_, eps, {0, 0}), (std::vector<uint32_t>{0}));
}

TEST_F(LeastResponseTimePickerTest, MovingAverageFollowsNewSamplesBySmoothing) {
  auto p = make(ParamValue::map({{"smoothing", 0.5}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  complete(*p, eps_.view(0), 100);
  EXPECT_DOUBLE_EQ(estimateMs("10.0.0.1:8000"), 100);
  complete(*p, eps_.view(0), 300);
  EXPECT_DOUBLE_EQ(estimateMs("10.0.0.1:8000"), 200);
  complete(*p, eps_.view(0), 300);
  EXPECT_DOUBLE_EQ(estimateMs("10.0.0.1:8000"), 250);
}

TEST_F(LeastResponseTimePickerTest, CompletionMeasureUsesTheWholeResponse) {
  auto p = make(ParamValue::map({{"measure", "completion"}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  // A fast first token but a long answer, against a slower first token and a short one.
  complete(*p, eps_.view(0), 50, 2000);
  complete(*p, eps_.view(1), 200, 400);
  EXPECT_DOUBLE_EQ(estimateMs("10.0.0.1:8000"), 2000);
  EXPECT_EQ(p->pick(request_, eps_.subset({0, 1}), {0, 0}), (std::vector<uint32_t>{1}));
  auto byFirstByte = make();
  complete(*byFirstByte, eps_.view(0), 50, 2000);
  complete(*byFirstByte, eps_.view(1), 200, 400);
  EXPECT_EQ(byFirstByte->pick(request_, eps_.subset({0, 1}), {0, 0}), (std::vector<uint32_t>{0}));
}

TEST_F(LeastResponseTimePickerTest, ErrorsAndCancellationsAreNotSamples) {
  auto p = make();
  complete(*p, eps_.view(0), 1, 1, 503);
  complete(*p, eps_.view(0), 1, 1, 200, EPP_OUTCOME_CANCELLED);
  p->requestComplete(request_, nullptr, EPP_OUTCOME_REJECTED);
  EXPECT_TRUE(std::isnan(estimateMs("10.0.0.1:8000")));
  // The failing endpoint did not become the fast one.
  complete(*p, eps_.view(1), 100);
  complete(*p, eps_.view(2), 100);
  std::map<uint32_t, int> wins;
  for (int seed = 0; seed < 300; ++seed) {
    FakeRequest request({.seed = static_cast<uint64_t>(seed)});
    ++wins[p->pick(request, eps_, {0, 0, 0}).at(0)];
  }
  // Unknown counts as the average of the known (100 ms): a three-way tie, broken at random.
  EXPECT_GT(wins[0], 50);
  EXPECT_GT(wins[1], 50);
  EXPECT_GT(wins[2], 50);
}

TEST_F(LeastResponseTimePickerTest, UnknownEndpointsAreAssumedAverage) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  complete(*p, eps_.view(0), 100);
  complete(*p, eps_.view(1), 500);
  // The third has no estimate: the average, 300 ms, puts it between the two.
  EXPECT_EQ(p->pick(request_, eps_, {0, 0, 0}), (std::vector<uint32_t>{0, 2, 1}));
}

TEST_F(LeastResponseTimePickerTest, WithoutAnyEstimateFewestInflightWinsThenScore) {
  auto p = make();
  EndpointSet eps{{.inflight = 3}, {.inflight = 1}, {.inflight = 1}};
  EXPECT_EQ(p->pick(request_, eps, {0.0, 0.2, 0.9}), (std::vector<uint32_t>{2}));
}

TEST_F(LeastResponseTimePickerTest, RemovedEndpointsForgetTheirEstimate) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  complete(*p, eps_.view(0), 900);
  complete(*p, eps_.view(1), 100);
  complete(*p, eps_.view(2), 200);
  p->endpointsRemoved({eps_.view(0)->id});
  // 10.0.0.1 is back to "average" (150 ms): from last to between the two others.
  EXPECT_EQ(p->pick(request_, eps_, {0, 0, 0}), (std::vector<uint32_t>{1, 0, 2}));
  EXPECT_DOUBLE_EQ(estimateMs("10.0.0.1:8000"), 0);
}

TEST_F(LeastResponseTimePickerTest, OneCandidateAndNone) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 2}}));
  EndpointSet one{{.address = "10.0.0.9"}};
  EXPECT_EQ(p->pick(request_, one, {0}), (std::vector<uint32_t>{0}));
  EndpointSet none;
  EXPECT_TRUE(p->pick(request_, none, {}).empty());
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(LeastResponseTimePickerTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"measure", "ttft"}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"measure\" must be \"first-byte\" or \"completion\""),
            std::string::npos)
      << host_.lastError();
  EXPECT_EQ(make(ParamValue::map({{"smoothing", 0}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"smoothing\" must be above 0"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"smoothing", 1.5}})), nullptr);
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", 0}})), nullptr);
  EXPECT_EQ(make(ParamValue::map({{"alpha", 0.2}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"alpha\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

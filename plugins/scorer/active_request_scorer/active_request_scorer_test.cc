#include "plugins/scorer/active_request_scorer/active_request_scorer.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeProfileResult;
using testing::FakeRequest;
using testing::FakeRequestSpec;
using testing::ParamValue;

class ActiveRequestScorerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> create(const ParamValue& params = ParamValue()) {
    auto scorer = host_.create(plugin_, "active-request-scorer", params);
    EXPECT_NE(scorer, nullptr) << host_.lastError();
    return scorer;
  }
  // Routes one request to eps[target] through the pre-request hook.
  std::unique_ptr<FakeRequest> route(testing::FakeInstance& scorer, const EndpointSet& eps,
                                     size_t target) {
    auto request = std::make_unique<FakeRequest>(FakeRequestSpec{.requestId = "r"});
    scorer.preRequest(*request,
                      {FakeProfileResult{.name = "default", .targets = {eps.view(target)}}});
    return request;
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppActiveRequestScorerEntry);
  FakeRequest request_;
};

TEST_F(ActiveRequestScorerTest, ScalesByTheBusiestCandidate) {
  auto scorer = create();
  EndpointSet eps({{.inflight = 0}, {.inflight = 2}, {.inflight = 4}, {.inflight = 1}});
  auto s = scorer->score(request_, eps);
  EXPECT_EQ(scorer->status(), EPP_OK);
  EXPECT_EQ(s, (std::vector<double>{1.0, 0.5, 0.0, 0.75}));
}

TEST_F(ActiveRequestScorerTest, AllIdleScoreOne) {
  auto scorer = create();
  EndpointSet eps({{}, {}, {}});
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{1.0, 1.0, 1.0}));
}

TEST_F(ActiveRequestScorerTest, IdleThresholdAndMaxBusyScoreOpenAGap) {
  auto scorer = create(ParamValue::map({{"idleThreshold", 1}, {"maxBusyScore", 0.5}}));
  EndpointSet eps({{.inflight = 1}, {.inflight = 2}, {.inflight = 8}, {.inflight = 0}});
  // 1 and 0 are idle; 2 of max 8 scores 6/8 * 0.5; the busiest 0.
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{1.0, 0.375, 0.0, 1.0}));
}

TEST_F(ActiveRequestScorerTest, CountsTheRequestsItRoutedUntilTheyComplete) {
  auto scorer = create();
  EndpointSet eps({{}, {}, {}});
  // eppd's count in the views stays 0 (the snapshot predates these requests).
  auto first = route(*scorer, eps, 1);
  auto second = route(*scorer, eps, 1);
  auto third = route(*scorer, eps, 2);
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{1.0, 0.0, 0.5}));
  scorer->requestComplete(*first, nullptr, EPP_OUTCOME_COMPLETED);
  scorer->requestComplete(*first, nullptr, EPP_OUTCOME_COMPLETED);  // counted once
  scorer->requestComplete(*second, nullptr, EPP_OUTCOME_CANCELLED);
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{1.0, 1.0, 0.0}));
  scorer->requestComplete(*third, nullptr, EPP_OUTCOME_COMPLETED);
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{1.0, 1.0, 1.0}));
}

TEST_F(ActiveRequestScorerTest, BooksEveryProfilesFirstTarget) {
  auto scorer = create();
  EndpointSet eps({{}, {}, {}});
  FakeRequest request;
  scorer->preRequest(request,
                     {FakeProfileResult{.name = "decode", .targets = {eps.view(0)}},
                      FakeProfileResult{.name = "prefill", .targets = {eps.view(1), eps.view(2)}},
                      FakeProfileResult{.name = "failed", .ok = false}});
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{0.0, 0.0, 1.0}));
  scorer->requestComplete(request, nullptr, EPP_OUTCOME_COMPLETED);
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{1.0, 1.0, 1.0}));
}

TEST_F(ActiveRequestScorerTest, UsesTheLargerOfItsCountAndEppds) {
  auto scorer = create();
  EndpointSet eps({{.inflight = 3}, {.inflight = 0}});
  auto a = route(*scorer, eps, 1);
  auto b = route(*scorer, eps, 1);
  auto c = route(*scorer, eps, 1);
  auto d = route(*scorer, eps, 1);
  // max(0 own, 3 eppd) = 3 and max(4 own, 0 eppd) = 4.
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{0.25, 0.0}));
}

TEST_F(ActiveRequestScorerTest, ForgetsEndpointsThatLeft) {
  auto scorer = create();
  EndpointSet eps({{}, {}});
  auto request = route(*scorer, eps, 0);
  scorer->endpointsRemoved({eps.view(0)->id});
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{1.0, 1.0}));
  scorer->requestComplete(*request, nullptr, EPP_OUTCOME_COMPLETED);  // a late release
  EXPECT_EQ(scorer->score(request_, eps), (std::vector<double>{1.0, 1.0}));
}

TEST_F(ActiveRequestScorerTest, DeprecatedParametersAreAcceptedWithAWarning) {
  auto scorer =
      create(ParamValue::map({{"requestTimeout", "2m"}, {"inFlightLoadProducerName", "x"}}));
  ASSERT_NE(scorer, nullptr);
  EXPECT_TRUE(host_.logged("requestTimeout is deprecated and ignored"));
}

TEST_F(ActiveRequestScorerTest, RejectsBadParameters) {
  for (const auto& params :
       {ParamValue::map({{"idleThreshold", -1}}), ParamValue::map({{"maxBusyScore", 1.5}}),
        ParamValue::map({{"maxBusyScore", "high"}}), ParamValue::map({{"requestTimeout", "soon"}}),
        ParamValue::map({{"idle", 1}})}) {
    EXPECT_EQ(host_.create(plugin_, "active-request-scorer", params), nullptr);
  }
  host_.create(plugin_, "active-request-scorer", ParamValue::map({{"maxBusyScore", -0.1}}));
  EXPECT_NE(host_.lastError().find("parameter \"maxBusyScore\" must be between 0 and 1"),
            std::string::npos)
      << host_.lastError();
}

}  // namespace
}  // namespace epp::plugins

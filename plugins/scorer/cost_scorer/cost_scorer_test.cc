#include "plugins/scorer/cost_scorer/cost_scorer.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

FakeEndpoint costing(std::string cost, std::string label = "eppd.io/cost") {
  FakeEndpoint e;
  e.labels = {{"app", "vllm"}, {std::move(label), std::move(cost)}};
  return e;
}

class CostScorerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "cost-scorer", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppCostEntry);
  FakeRequest request_;
};

TEST_F(CostScorerTest, OneLibraryOffersTheScorerAndTheBudgetFilter) {
  ASSERT_NE(plugin_, nullptr) << host_.lastError();
  ASSERT_EQ(plugin_->types_count, 2u);
  EXPECT_STREQ(plugin_->types[0]->type_name, "cost-scorer");
  EXPECT_EQ(plugin_->types[0]->kinds, EPP_KIND_SCORER);
  EXPECT_STREQ(plugin_->types[1]->type_name, "cost-budget-filter");
  EXPECT_EQ(plugin_->types[1]->kinds, EPP_KIND_FILTER);
}

TEST_F(CostScorerTest, CheaperScoresHigherMinMaxOverTheCandidates) {
  auto s = make();
  ASSERT_NE(s, nullptr) << host_.lastError();
  EndpointSet eps{costing("2"), costing("10"), costing("6"), costing("4.5")};
  auto scores = s->score(request_, eps);
  EXPECT_EQ(s->status(), EPP_OK);
  ASSERT_EQ(scores.size(), 4u);
  EXPECT_DOUBLE_EQ(scores[0], 1.0);
  EXPECT_DOUBLE_EQ(scores[1], 0.0);
  EXPECT_DOUBLE_EQ(scores[2], 0.5);
  EXPECT_DOUBLE_EQ(scores[3], 5.5 / 8.0);
  // Relative to the candidates: without the dearest one the scale changes.
  auto subset = s->score(request_, eps.subset({0, 2}));
  EXPECT_EQ(subset, (std::vector<double>{1.0, 0.0}));
}

TEST_F(CostScorerTest, EqualCostsScoreEqually) {
  auto s = make();
  EndpointSet same{costing("3"), costing("3.0"), costing(" 3 ")};
  EXPECT_EQ(s->score(request_, same), (std::vector<double>{1.0, 1.0, 1.0}));
  EndpointSet one{costing("100")};
  EXPECT_EQ(s->score(request_, one), (std::vector<double>{1.0}));
}

TEST_F(CostScorerTest, UnlabelledEndpointsCostDefaultCost) {
  EndpointSet eps{costing("4"), FakeEndpoint{}, costing("8")};
  // Default 0: an unlabelled endpoint is the cheapest.
  auto free = make();
  EXPECT_EQ(free->score(request_, eps), (std::vector<double>{0.5, 1.0, 0.0}));
  // defaultCost 8: as dear as the dearest.
  auto dear = make(ParamValue::map({{"defaultCost", 8}}));
  ASSERT_NE(dear, nullptr) << host_.lastError();
  EXPECT_EQ(dear->score(request_, eps), (std::vector<double>{1.0, 0.0, 0.0}));
}

TEST_F(CostScorerTest, ReadsTheConfiguredLabel) {
  auto s = make(ParamValue::map({{"costLabel", "example.com/price"}}));
  ASSERT_NE(s, nullptr) << host_.lastError();
  EndpointSet eps{costing("1", "example.com/price"), costing("3", "example.com/price"),
                  costing("0")};  // eppd.io/cost is not read: default 0
  EXPECT_EQ(s->score(request_, eps), (std::vector<double>{2.0 / 3.0, 0.0, 1.0}));
}

TEST_F(CostScorerTest, MalformedLabelCostsTheDefaultAndIsReported) {
  auto s = make(ParamValue::map({{"defaultCost", 5}}));
  EndpointSet eps{costing("1"), costing("cheap"), costing("-3"), costing("9")};
  EXPECT_EQ(s->score(request_, eps), (std::vector<double>{1.0, 0.5, 0.5, 0.0}));
  EXPECT_EQ(s->status(), EPP_OK);
  EXPECT_DOUBLE_EQ(host_.metricValue("eppd_cost_label_malformed_total", "cost-scorer"), 2);
  EXPECT_TRUE(host_.logged("label eppd.io/cost=\"cheap\" is not a non-negative number"));
  s->score(request_, eps);
  EXPECT_DOUBLE_EQ(host_.metricValue("eppd_cost_label_malformed_total", "cost-scorer"), 4);
  size_t warnings = 0;
  for (const auto& l : host_.logs()) warnings += l.level == EPP_LOG_WARN;
  EXPECT_EQ(warnings, 1u) << "only the first malformed label is a warning";
}

TEST_F(CostScorerTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"defaultCost", -1}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"defaultCost\" must be between 0 and"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"costLabel", ""}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"costLabel\" must not be empty"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"budgetHeader", "x"}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"budgetHeader\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

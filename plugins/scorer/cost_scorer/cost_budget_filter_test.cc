#include "plugins/scorer/cost_scorer/cost_budget_filter.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"
#include "plugins/scorer/cost_scorer/cost_scorer.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

constexpr char kMalformed[] = "eppd_cost_budget_malformed_header_total";

FakeEndpoint costing(std::string cost) {
  FakeEndpoint e;
  e.labels = {{"eppd.io/cost", std::move(cost)}};
  return e;
}

FakeRequest withBudget(std::string budget, std::string header = "x-gateway-cost-budget") {
  return FakeRequest({.headers = {{std::move(header), std::move(budget)}}});
}

class CostBudgetFilterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "cost-budget-filter", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppCostEntry);
  // Costs 1, 5, 5.5, 12 and one without a label (default 0).
  EndpointSet eps_{costing("1"), costing("5"), costing("5.5"), costing("12"), FakeEndpoint{}};
};

TEST_F(CostBudgetFilterTest, DropsEndpointsAboveTheBudget) {
  auto f = make();
  ASSERT_NE(f, nullptr) << host_.lastError();
  FakeRequest five = withBudget("5");
  EXPECT_EQ(f->filter(five, eps_), (std::vector<uint8_t>{1, 1, 0, 0, 1}));  // 5 <= 5 stays
  EXPECT_EQ(f->status(), EPP_OK);
  FakeRequest generous = withBudget(" 100.25 ");
  EXPECT_EQ(f->filter(generous, eps_), (std::vector<uint8_t>{1, 1, 1, 1, 1}));
  FakeRequest zero = withBudget("0");
  EXPECT_EQ(f->filter(zero, eps_), (std::vector<uint8_t>{0, 0, 0, 0, 1}));
}

TEST_F(CostBudgetFilterTest, NoBudgetKeepsEverything) {
  auto f = make();
  FakeRequest none;
  EXPECT_EQ(f->filter(none, eps_), (std::vector<uint8_t>{1, 1, 1, 1, 1}));
  FakeRequest blank = withBudget("  ");
  EXPECT_EQ(f->filter(blank, eps_), (std::vector<uint8_t>{1, 1, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(host_.metricValue(kMalformed, "cost-budget-filter"), 0);
}

TEST_F(CostBudgetFilterTest, NothingWithinBudgetIsAnEmptyResult) {
  auto f = make(ParamValue::map({{"defaultCost", 3}}));
  ASSERT_NE(f, nullptr) << host_.lastError();
  FakeRequest tight = withBudget("0.5");
  EXPECT_EQ(f->filter(tight, eps_), (std::vector<uint8_t>{0, 0, 0, 0, 0}));
  EXPECT_EQ(f->status(), EPP_OK);
}

TEST_F(CostBudgetFilterTest, MalformedBudgetFailsOpenCountedAndLogged) {
  auto f = make();
  for (const char* bad : {"cheap", "-1", "1e3", "inf", "5 dollars"}) {
    FakeRequest r = withBudget(bad);
    EXPECT_EQ(f->filter(r, eps_), (std::vector<uint8_t>{1, 1, 1, 1, 1})) << bad;
    EXPECT_EQ(f->status(), EPP_OK) << bad;
  }
  EXPECT_DOUBLE_EQ(host_.metricValue(kMalformed, "cost-budget-filter"), 5);
  ASSERT_FALSE(host_.logs().empty());
  const testing::LogRecord& first = host_.logs().front();
  EXPECT_EQ(first.level, EPP_LOG_WARN);
  EXPECT_EQ(first.requestId, "test-request");
  EXPECT_NE(first.message.find("ignoring malformed x-gateway-cost-budget \"cheap\""),
            std::string::npos)
      << first.message;
}

TEST_F(CostBudgetFilterTest, MaxCostCapsEveryRequestAndTheHeaderOnlyTightens) {
  auto f = make(ParamValue::map({{"maxCost", 5.5}}));
  ASSERT_NE(f, nullptr) << host_.lastError();
  FakeRequest none;
  EXPECT_EQ(f->filter(none, eps_), (std::vector<uint8_t>{1, 1, 1, 0, 1}));
  FakeRequest looser = withBudget("50");
  EXPECT_EQ(f->filter(looser, eps_), (std::vector<uint8_t>{1, 1, 1, 0, 1}));
  FakeRequest tighter = withBudget("1");
  EXPECT_EQ(f->filter(tighter, eps_), (std::vector<uint8_t>{1, 0, 0, 0, 1}));
  // A malformed header leaves maxCost in force.
  FakeRequest bad = withBudget("lots");
  EXPECT_EQ(f->filter(bad, eps_), (std::vector<uint8_t>{1, 1, 1, 0, 1}));
  EXPECT_TRUE(host_.logged("no request budget applies, only maxCost"));
}

TEST_F(CostBudgetFilterTest, HeaderAndLabelNamesAreParameters) {
  auto f = make(ParamValue::map({{"budgetHeader", "X-Max-Price"}, {"costLabel", "price"}}));
  ASSERT_NE(f, nullptr) << host_.lastError();
  EndpointSet eps{{.labels = {{"price", "2"}, {"eppd.io/cost", "100"}}},
                  {.labels = {{"price", "7"}, {"eppd.io/cost", "0"}}}};
  FakeRequest r = withBudget("3", "x-max-price");  // header names reach plugins lower-case
  EXPECT_EQ(f->filter(r, eps), (std::vector<uint8_t>{1, 0}));
  FakeRequest other = withBudget("3");  // the default header is not read any more
  EXPECT_EQ(f->filter(other, eps), (std::vector<uint8_t>{1, 1}));
}

TEST_F(CostBudgetFilterTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"maxCost", -2}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxCost\" must be between 0 and"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"budgetHeader", ""}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"budgetHeader\" must not be empty"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"budget", 3}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"budget\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

#include "plugins/picker/round_robin_picker/round_robin_picker.h"

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

class RoundRobinPickerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "round-robin-picker", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppRoundRobinPickerEntry);
  FakeRequest request_;
};

TEST_F(RoundRobinPickerTest, TakesEachCandidateInTurnIgnoringScores) {
  auto p = make();
  ASSERT_NE(p, nullptr) << host_.lastError();
  EndpointSet four{std::vector<FakeEndpoint>(4)};
  std::vector<uint32_t> primaries;
  for (int i = 0; i < 8; ++i) {
    auto picked = p->pick(request_, four, {9.0, 0.0, 0.0, 0.0});
    ASSERT_EQ(picked.size(), 1u);
    EXPECT_EQ(p->status(), EPP_OK);
    primaries.push_back(picked[0]);
  }
  EXPECT_EQ(primaries, (std::vector<uint32_t>{0, 1, 2, 3, 0, 1, 2, 3}));
}

TEST_F(RoundRobinPickerTest, TurnFollowsEndpointIdsNotListPositions) {
  auto p = make();
  // Listed out of id order: the turn goes 10, 20, 30 whatever the positions.
  EndpointSet three{{.id = 30}, {.id = 10}, {.id = 20}};
  std::vector<uint32_t> primaries;
  for (int i = 0; i < 3; ++i) primaries.push_back(p->pick(request_, three, {0, 0, 0})[0]);
  EXPECT_EQ(primaries, (std::vector<uint32_t>{1, 2, 0}));
}

TEST_F(RoundRobinPickerTest, FallbacksAreTheNextInTurn) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  EndpointSet four{std::vector<FakeEndpoint>(4)};
  EXPECT_EQ(p->pick(request_, four, {0, 0, 0, 0}), (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(p->pick(request_, four, {0, 0, 0, 0}), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(p->pick(request_, four, {0, 0, 0, 0}), (std::vector<uint32_t>{2, 3, 0}));
  EndpointSet two{std::vector<FakeEndpoint>(2)};
  // Never more than there are candidates.
  EXPECT_EQ(p->pick(request_, two, {0, 0}).size(), 2u);
}

TEST_F(RoundRobinPickerTest, SpreadsEvenlyOverAChangingCandidateSet) {
  auto p = make();
  EndpointSet five{std::vector<FakeEndpoint>(5)};
  std::map<uint64_t, int> perEndpoint;
  // Alternate between all five and a filtered subset of three.
  for (int i = 0; i < 300; ++i) {
    const epp_endpoint_list* list = i % 2 ? five.subset({0, 2, 4}) : five.list();
    std::vector<double> scores(list->count, 0.0);
    auto picked = p->pick(request_, list, scores);
    ASSERT_EQ(picked.size(), 1u);
    ASSERT_LT(picked[0], list->count);
    ++perEndpoint[list->items[picked[0]]->id];
  }
  int total = 0;
  for (const auto& [id, n] : perEndpoint) total += n;
  EXPECT_EQ(total, 300);
  EXPECT_EQ(perEndpoint.size(), 5u);
}

TEST_F(RoundRobinPickerTest, OneCandidateAndNone) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 2}}));
  EndpointSet one{{.address = "10.0.0.9"}};
  EXPECT_EQ(p->pick(request_, one, {0.5}), (std::vector<uint32_t>{0}));
  EXPECT_EQ(p->pick(request_, one, {0.5}), (std::vector<uint32_t>{0}));
  EndpointSet none;
  EXPECT_TRUE(p->pick(request_, none, {}).empty());
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(RoundRobinPickerTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"maxNumOfEndpoints", 0}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxNumOfEndpoints\" must be between 1 and"),
            std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"start", 2}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"start\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

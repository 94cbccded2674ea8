#include "plugins/picker/weighted_round_robin_picker/weighted_round_robin_picker.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

FakeEndpoint capacity(uint64_t id, std::string value, std::string label = "eppd.io/capacity") {
  FakeEndpoint e;
  e.id = id;
  e.address = "10.0.0." + std::to_string(id);
  if (!value.empty()) e.labels = {{std::move(label), std::move(value)}};
  return e;
}

class WeightedRoundRobinPickerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    auto p = host_.create(plugin_, "weighted-round-robin-picker", params);
    EXPECT_NE(p, nullptr) << host_.lastError();
    return p;
  }
  // The endpoint ids of the primaries of `n` picks.
  std::vector<uint64_t> primaries(testing::FakeInstance& p, const epp_endpoint_list* list, int n) {
    std::vector<uint64_t> out;
    std::vector<double> scores(list->count, 0.0);
    for (int i = 0; i < n; ++i) {
      auto picked = p.pick(request_, list, scores);
      EXPECT_EQ(p.status(), EPP_OK);
      if (picked.empty()) break;
      out.push_back(list->items[picked[0]]->id);
    }
    return out;
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppWeightedRoundRobinPickerEntry);
  FakeRequest request_;
};

TEST_F(WeightedRoundRobinPickerTest, SmoothSequenceFollowsTheCapacities) {
  auto p = make();
  EndpointSet eps{capacity(1, "5"), capacity(2, "1"), capacity(3, "1")};
  // The heavy endpoint's turns are spread out, not five in a row.
  const std::vector<uint64_t> cycle{1, 1, 2, 1, 3, 1, 1};
  EXPECT_EQ(primaries(*p, eps.list(), 7), cycle);
  EXPECT_EQ(primaries(*p, eps.list(), 7), cycle);
}

TEST_F(WeightedRoundRobinPickerTest, SharesAreExactOverWholeCyclesWhateverTheListOrder) {
  auto p = make();
  EndpointSet eps{capacity(1, "3"), capacity(2, "0.5"), capacity(3, ""), capacity(4, "1.5")};
  // Weights 3, 0.5, 1 (no label: defaultWeight), 1.5: a cycle is 6 weight units = 12 picks.
  std::map<uint64_t, int> share;
  for (int round = 0; round < 20; ++round) {
    // Every other round lists the candidates in reverse: the turn belongs to the endpoints.
    const epp_endpoint_list* list = round % 2 ? eps.subset({3, 2, 1, 0}) : eps.list();
    for (uint64_t id : primaries(*p, list, 12)) ++share[id];
  }
  EXPECT_EQ(share, (std::map<uint64_t, int>{{1, 120}, {2, 20}, {3, 40}, {4, 60}}));
}

TEST_F(WeightedRoundRobinPickerTest, EqualCapacitiesAreRoundRobinByEndpointId) {
  auto p = make();
  EndpointSet eps{capacity(30, ""), capacity(10, ""), capacity(20, "")};
  EXPECT_EQ(primaries(*p, eps.list(), 6), (std::vector<uint64_t>{10, 20, 30, 10, 20, 30}));
}

TEST_F(WeightedRoundRobinPickerTest, FallbacksAreTheNextInLine) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  EndpointSet eps{capacity(1, "5"), capacity(2, "1"), capacity(3, "1"), capacity(4, "2")};
  for (int i = 0; i < 20; ++i) {
    auto picked = p->pick(request_, eps, {0, 0, 0, 0});
    ASSERT_EQ(picked.size(), 3u);
    EXPECT_EQ(std::set<uint32_t>(picked.begin(), picked.end()).size(), 3u);
  }
  // The first pick: 1 goes (credit 5 of 9), 4 holds 2 + 2, the unit ones 1 + 1.
  auto fresh = make(ParamValue::map({{"maxNumOfEndpoints", 2}}));
  EXPECT_EQ(fresh->pick(request_, eps, {0, 0, 0, 0}), (std::vector<uint32_t>{0, 3}));
}

TEST_F(WeightedRoundRobinPickerTest, CapacityLabelAndDefaultWeightAreParameters) {
  auto p = make(ParamValue::map({{"capacityLabel", "gpus"}, {"defaultWeight", 2}}));
  EndpointSet eps{capacity(1, "1", "gpus"), capacity(2, "")};  // 2 has no label: weight 2
  std::map<uint64_t, int> share;
  for (uint64_t id : primaries(*p, eps.list(), 30)) ++share[id];
  EXPECT_EQ(share, (std::map<uint64_t, int>{{1, 10}, {2, 20}}));
}

TEST_F(WeightedRoundRobinPickerTest, MalformedCapacityWeighsTheDefaultAndIsReported) {
  auto p = make();
  EndpointSet eps{capacity(1, "3"), capacity(2, "lots"), capacity(3, "0"), capacity(4, "-2")};
  std::map<uint64_t, int> share;
  for (uint64_t id : primaries(*p, eps.list(), 6)) ++share[id];
  EXPECT_EQ(share, (std::map<uint64_t, int>{{1, 3}, {2, 1}, {3, 1}, {4, 1}}));
  EXPECT_DOUBLE_EQ(host_.metricValue(std::string(WeightedRoundRobinPicker::kMalformedMetric),
                                     "weighted-round-robin-picker"),
                   18);  // three bad labels read on each of six picks
  EXPECT_TRUE(host_.logged("label eppd.io/capacity=\"lots\" is not a positive number"));
}

TEST_F(WeightedRoundRobinPickerTest, ARemovedEndpointLosesItsCredit) {
  auto p = make();
  EndpointSet eps{capacity(1, "1"), capacity(2, "1")};
  EXPECT_EQ(primaries(*p, eps.list(), 1), (std::vector<uint64_t>{1}));
  // Endpoint 2 holds credit 1 now; gone and back, it starts from nothing like endpoint 1.
  p->endpointsRemoved({1, 2});
  EXPECT_EQ(primaries(*p, eps.list(), 2), (std::vector<uint64_t>{1, 2}));
}

TEST_F(WeightedRoundRobinPickerTest, OneCandidateAndNone) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 2}}));
  EndpointSet one{capacity(7, "4")};
  EXPECT_EQ(p->pick(request_, one, {0.0}), (std::vector<uint32_t>{0}));
  EndpointSet none;
  EXPECT_TRUE(p->pick(request_, none, {}).empty());
  EXPECT_EQ(p->status(), EPP_OK);
}

TEST_F(WeightedRoundRobinPickerTest, RejectsBadParameters) {
  auto bad = [&](const ParamValue& params, const std::string& message) {
    EXPECT_EQ(host_.create(plugin_, "weighted-round-robin-picker", params), nullptr);
    EXPECT_NE(host_.lastError().find(message), std::string::npos) << host_.lastError();
  };
  bad(ParamValue::map({{"defaultWeight", 0}}), "\"defaultWeight\" must be greater than 0");
  bad(ParamValue::map({{"capacityLabel", ""}}), "\"capacityLabel\" must not be empty");
  bad(ParamValue::map({{"maxNumOfEndpoints", 0}}), "\"maxNumOfEndpoints\" must be between 1");
  bad(ParamValue::map({{"weights", 1}}), "unknown parameter \"weights\"");
}

}  // namespace
}  // namespace epp::plugins

#include "plugins/splitter/sticky_splitter/sticky_splitter.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

using Targets = std::vector<std::pair<std::string, double>>;

class StickySplitterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    auto s = host_.create(plugin_, "sticky-splitter", params);
    EXPECT_NE(s, nullptr) << host_.lastError();
    return s;
  }
  uint32_t choose(testing::FakeInstance& s, const std::string& user, const Targets& targets,
                  uint64_t seed = 1, const std::string& header = "x-session-id") {
    FakeRequest r({.headers = {{header, user}}, .seed = seed});
    uint32_t chosen = s.split(r, targets);
    EXPECT_EQ(s.status(), EPP_OK);
    return chosen;
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppStickySplitterEntry);
};

TEST_F(StickySplitterTest, SameUserSameTargetWhateverTheRandomSeed) {
  auto s = make();
  Targets targets{{"v1", 50}, {"v2", 50}};
  for (int u = 0; u < 200; ++u) {
    std::string user = "user-" + std::to_string(u);
    uint32_t first = choose(*s, user, targets, 1);
    for (uint64_t seed = 2; seed < 6; ++seed) EXPECT_EQ(choose(*s, user, targets, seed), first);
  }
}

TEST_F(StickySplitterTest, AnotherInstanceAgrees) {
  // A reload or a restart creates a new instance: the choice comes from the header alone.
  auto a = make(ParamValue::map({{"header", "x-user-id"}}));
  auto b = make(ParamValue::map({{"header", "X-User-Id"}}));
  Targets targets{{"v1", 70}, {"v2", 20}, {"v3", 10}};
  for (int u = 0; u < 500; ++u) {
    std::string user = "u" + std::to_string(u);
    EXPECT_EQ(choose(*a, user, targets, 1, "x-user-id"),
              choose(*b, user, targets, 99, "x-user-id"));
  }
}

TEST_F(StickySplitterTest, UsersSpreadByWeight) {
  auto s = make();
  Targets targets{{"v1", 75}, {"v2", 25}};
  std::map<uint32_t, int> count;
  const int users = 20000;
  for (int u = 0; u < users; ++u) ++count[choose(*s, "session-" + std::to_string(u), targets)];
  EXPECT_NEAR(count[1] / static_cast<double>(users), 0.25, 0.015);
}

TEST_F(StickySplitterTest, AWeightChangeMovesOnlyTheUsersInTheShiftedSpan) {
  auto s = make();
  int moved = 0;
  int movedWrongWay = 0;
  const int users = 10000;
  for (int u = 0; u < users; ++u) {
    std::string user = "s" + std::to_string(u);
    uint32_t before = choose(*s, user, {{"v1", 90}, {"v2", 10}});
    uint32_t after = choose(*s, user, {{"v1", 80}, {"v2", 20}});
    if (before != after) ++moved;
    if (before == 1 && after == 0) ++movedWrongWay;
  }
  // 10% of users change hands (v1 -> v2); nobody leaves the canary.
  EXPECT_NEAR(moved / static_cast<double>(users), 0.10, 0.015);
  EXPECT_EQ(movedWrongWay, 0);
}

TEST_F(StickySplitterTest, SeedReshufflesUsers) {
  auto a = make();
  auto b = make(ParamValue::map({{"seed", 7}}));
  Targets targets{{"v1", 1}, {"v2", 1}};
  int differ = 0;
  for (int u = 0; u < 1000; ++u) {
    std::string user = "u" + std::to_string(u);
    differ += choose(*a, user, targets) != choose(*b, user, targets);
  }
  EXPECT_NEAR(differ, 500, 80);
}

TEST_F(StickySplitterTest, MissingHeaderIsWeightedOrFirst) {
  auto weighted = make();
  auto first = make(ParamValue::map({{"whenHeaderMissing", "first"}}));
  Targets targets{{"v1", 1}, {"v2", 1}};
  std::map<uint32_t, int> count;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    FakeRequest r({.seed = seed});
    ++count[weighted->split(r, targets)];
    FakeRequest r2({.seed = seed});
    EXPECT_EQ(first->split(r2, targets), 0u);
  }
  EXPECT_NEAR(count[0], 1000, 100);
}

TEST_F(StickySplitterTest, ParameterMistakesAreRefused) {
  EXPECT_EQ(
      host_.create(plugin_, "sticky-splitter", ParamValue::map({{"whenHeaderMissing", "drop"}})),
      nullptr);
  EXPECT_NE(host_.lastError().find("weighted or first"), std::string::npos) << host_.lastError();
  EXPECT_EQ(host_.create(plugin_, "sticky-splitter", ParamValue::map({{"header", ""}})), nullptr);
  EXPECT_EQ(host_.create(plugin_, "sticky-splitter", ParamValue::map({{"seed", -1}})), nullptr);
}

TEST_F(StickySplitterTest, PointIsStable) {
  // Pinned: a change here would move every user of every deployment on upgrade.
  EXPECT_DOUBLE_EQ(StickySplitter::point("alice", 0), 0.45171989695443804);
  EXPECT_DOUBLE_EQ(StickySplitter::point("bob", 0), 0.57238067576211482);
  EXPECT_NE(StickySplitter::point("alice", 0), StickySplitter::point("alice", 1));
  EXPECT_GE(StickySplitter::point("", 0), 0.0);
  EXPECT_LT(StickySplitter::point("bob", 0), 1.0);
}

}  // namespace
}  // namespace epp::plugins

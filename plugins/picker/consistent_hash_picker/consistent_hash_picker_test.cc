#include "plugins/picker/consistent_hash_picker/consistent_hash_picker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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

// `n` endpoints named pod-0.. with ids starting at `firstId`.
std::vector<FakeEndpoint> pods(size_t n, uint64_t firstId = 1) {
  std::vector<FakeEndpoint> out;
  for (size_t i = 0; i < n; ++i) {
    FakeEndpoint e;
    e.id = firstId + i;
    e.name = "pod-" + std::to_string(i);
    e.address = "10.0.0." + std::to_string(i + 1);
    out.push_back(std::move(e));
  }
  return out;
}

FakeRequest session(const std::string& id) {
  return FakeRequest({.headers = {{"x-session-id", id}}});
}

class ConsistentHashPickerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    auto p = host_.create(plugin_, "consistent-hash-picker", params);
    EXPECT_NE(p, nullptr) << host_.lastError();
    return p;
  }
  // The name of the endpoint `request` goes to among `list`.
  static std::string target(testing::FakeInstance& p, FakeRequest& request,
                            const epp_endpoint_list* list) {
    auto picked = p.pick(request, list, std::vector<double>(list->count, 0.0));
    EXPECT_EQ(p.status(), EPP_OK);
    if (picked.empty()) return "";
    return std::string(list->items[picked[0]]->name.ptr, list->items[picked[0]]->name.len);
  }
  // Where each of `keys` session ids goes.
  static std::map<int, std::string> placement(testing::FakeInstance& p,
                                              const epp_endpoint_list* list, int keys) {
    std::map<int, std::string> out;
    for (int k = 0; k < keys; ++k) {
      FakeRequest r = session("user-" + std::to_string(k));
      out[k] = target(p, r, list);
    }
    return out;
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppConsistentHashPickerEntry);
};

TEST_F(ConsistentHashPickerTest, SameKeySameEndpointWhateverTheListOrderOrInstance) {
  auto p = make();
  EndpointSet eps(pods(8));
  auto first = placement(*p, eps.list(), 200);
  EXPECT_EQ(placement(*p, eps.list(), 200), first);
  EXPECT_EQ(placement(*p, eps.subset({7, 6, 5, 4, 3, 2, 1, 0}), 200), first);
  auto fresh = make();
  EXPECT_EQ(placement(*fresh, eps.list(), 200), first);
  // Another eppd replica numbers endpoints its own way: names and ports place them.
  EndpointSet replica(pods(8, /*firstId=*/1000));
  EXPECT_EQ(placement(*fresh, replica.list(), 200), first);
  // And the keys spread over every endpoint.
  std::set<std::string> used;
  for (const auto& [k, name] : first) used.insert(name);
  EXPECT_EQ(used.size(), 8u);
}

TEST_F(ConsistentHashPickerTest, RemovingAnEndpointMovesOnlyItsKeys) {
  auto p = make();
  EndpointSet eps(pods(10));
  constexpr int kKeys = 5000;
  auto before = placement(*p, eps.list(), kKeys);
  std::vector<size_t> withoutPod3 = {0, 1, 2, 4, 5, 6, 7, 8, 9};
  auto after = placement(*p, eps.subset(withoutPod3), kKeys);
  int moved = 0;
  for (int k = 0; k < kKeys; ++k) {
    if (before[k] == "pod-3") {
      EXPECT_NE(after[k], "pod-3");
      ++moved;
    } else {
      EXPECT_EQ(after[k], before[k]) << "key " << k << " moved off a remaining endpoint";
    }
  }
  // About 1/N of the keys lived on the removed endpoint.
  EXPECT_NEAR(moved / static_cast<double>(kKeys), 0.1, 0.04);
  // Adding it back moves exactly those keys back.
  EXPECT_EQ(placement(*p, eps.list(), kKeys), before);
}

TEST_F(ConsistentHashPickerTest, WithoutTheHeaderThePromptPrefixIsTheKey) {
  auto p = make(ParamValue::map({{"prefixChars", 32}}));
  EndpointSet eps(pods(16));
  const std::string system(32, 's');
  std::set<std::string> sameSystemPrompt;
  for (int i = 0; i < 20; ++i) {
    FakeRequest r({.prompt = system + " question " + std::to_string(i)});
    sameSystemPrompt.insert(target(*p, r, eps.list()));
  }
  EXPECT_EQ(sameSystemPrompt.size(), 1u) << "one shared prefix, one endpoint";
  std::set<std::string> differentPrompts;
  for (int i = 0; i < 64; ++i) {
    FakeRequest r({.prompt = std::to_string(i) + system});
    differentPrompts.insert(target(*p, r, eps.list()));
  }
  EXPECT_GT(differentPrompts.size(), 8u);
  // The header, when sent, wins over the prompt.
  FakeRequest a({.headers = {{"x-session-id", "alice"}}, .prompt = "one"});
  FakeRequest b({.headers = {{"x-session-id", "alice"}}, .prompt = "two"});
  EXPECT_EQ(target(*p, a, eps.list()), target(*p, b, eps.list()));
}

TEST_F(ConsistentHashPickerTest, NoKeyAtAllSpreadsByTheRequestGenerator) {
  auto p = make();
  EndpointSet eps(pods(4));
  std::set<std::string> used;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    FakeRequest r({.seed = seed});
    used.insert(target(*p, r, eps.list()));
    FakeRequest again({.seed = seed});
    FakeRequest same({.seed = seed});
    EXPECT_EQ(target(*p, again, eps.list()), target(*p, same, eps.list()));
  }
  EXPECT_EQ(used.size(), 4u);
}

TEST_F(ConsistentHashPickerTest, HashHeaderIsAParameter) {
  auto p = make(ParamValue::map({{"hashHeader", "X-User"}}));
  EndpointSet eps(pods(8));
  std::set<std::string> byUser;
  for (int i = 0; i < 10; ++i) {
    // Same user, different sessions and prompts: one endpoint.
    FakeRequest r({.headers = {{"x-user", "bob"}, {"x-session-id", std::to_string(i)}},
                   .prompt = std::to_string(i)});
    byUser.insert(target(*p, r, eps.list()));
  }
  EXPECT_EQ(byUser.size(), 1u);
}

TEST_F(ConsistentHashPickerTest, BoundedLoadCapsAHotKey) {
  // Every request has the same key; each stays in flight (booked by the pre-request hook).
  for (double factor : {1.25, 2.0}) {
    SCOPED_TRACE(factor);
    auto p = make(ParamValue::map({{"loadFactor", factor}}));
    EndpointSet eps(pods(4));
    std::map<uint64_t, int> inflight;
    std::vector<std::unique_ptr<FakeRequest>> live;
    std::vector<uint32_t> home;
    for (int total = 1; total <= 40; ++total) {
      live.push_back(std::make_unique<FakeRequest>(
          testing::FakeRequestSpec{.headers = {{"x-session-id", "hot"}}}));
      FakeRequest& r = *live.back();
      auto picked = p->pick(r, eps, {0, 0, 0, 0});
      ASSERT_EQ(picked.size(), 1u);
      if (total == 1) home = picked;
      const epp_endpoint_view* chosen = eps.view(picked[0]);
      p->preRequest(r, {{.targets = {chosen}}});
      ++inflight[chosen->id];
      const int bound = static_cast<int>(std::ceil(factor * total / 4.0));
      for (const auto& [id, n] : inflight) EXPECT_LE(n, bound) << "after " << total;
    }
    // Not spread evenly either: the key's own endpoint carries the most.
    int most = 0;
    for (const auto& [id, n] : inflight) most = std::max(most, n);
    EXPECT_EQ(most, static_cast<int>(std::ceil(factor * 40 / 4.0)));
    // Completing releases the load: the key's endpoint takes it again.
    for (auto& r : live) p->requestComplete(*r, nullptr, EPP_OUTCOME_COMPLETED);
    FakeRequest next = session("hot");
    EXPECT_EQ(p->pick(next, eps, {0, 0, 0, 0}), home);
  }
}

TEST_F(ConsistentHashPickerTest, BoundedLoadReadsEppdsInflightCount) {
  auto p = make();
  std::vector<FakeEndpoint> four = pods(4);
  EndpointSet idle(four);
  FakeRequest r = session("k");
  const std::string home = target(*p, r, idle.list());
  // The same endpoints, with eppd counting 9 requests in flight at the key's home.
  for (auto& e : four) e.inflight = e.name == home ? 9 : 1;
  EndpointSet busy(four);
  EXPECT_NE(target(*p, r, busy.list()), home);
}

TEST_F(ConsistentHashPickerTest, FallbacksWalkTheRingOverDistinctEndpoints) {
  auto p = make(ParamValue::map({{"maxNumOfEndpoints", 3}}));
  EndpointSet eps(pods(6));
  FakeRequest r = session("fallbacks");
  auto picked = p->pick(r, eps, std::vector<double>(6, 0.0));
  ASSERT_EQ(picked.size(), 3u);
  EXPECT_EQ(std::set<uint32_t>(picked.begin(), picked.end()).size(), 3u);
  // The primary is the one-endpoint pick; a removed primary's keys go to its first fallback.
  auto single = make();
  EXPECT_EQ(single->pick(r, eps, std::vector<double>(6, 0.0)), std::vector<uint32_t>{picked[0]});
  std::vector<size_t> rest;
  for (size_t i = 0; i < 6; ++i) {
    if (i != picked[0]) rest.push_back(i);
  }
  const epp_endpoint_list* without = eps.subset(rest);
  auto next = single->pick(r, without, std::vector<double>(5, 0.0));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(without->items[next[0]], eps.view(picked[1]));
  // Asking for more than there are: every candidate once.
  auto all = make(ParamValue::map({{"maxNumOfEndpoints", 10}}));
  EXPECT_EQ(all->pick(r, eps, std::vector<double>(6, 0.0)).size(), 6u);
}

TEST_F(ConsistentHashPickerTest, UnnamedEndpointsArePlacedByAddress) {
  auto p = make();
  std::vector<FakeEndpoint> four = pods(4);
  for (auto& e : four) e.name.clear();
  EndpointSet eps(four);
  std::set<uint64_t> used;
  for (int k = 0; k < 100; ++k) {
    FakeRequest r = session(std::to_string(k));
    auto picked = p->pick(r, eps, {0, 0, 0, 0});
    ASSERT_EQ(picked.size(), 1u);
    used.insert(eps.view(picked[0])->id);
  }
  EXPECT_EQ(used.size(), 4u);
}

TEST_F(ConsistentHashPickerTest, RejectsBadParameters) {
  auto bad = [&](const ParamValue& params, const std::string& message) {
    EXPECT_EQ(host_.create(plugin_, "consistent-hash-picker", params), nullptr);
    EXPECT_NE(host_.lastError().find(message), std::string::npos) << host_.lastError();
  };
  bad(ParamValue::map({{"loadFactor", 0.5}}), "\"loadFactor\" must be between 1 and");
  bad(ParamValue::map({{"virtualNodes", 0}}), "\"virtualNodes\" must be between 1 and 10000");
  bad(ParamValue::map({{"prefixChars", 0}}), "\"prefixChars\" must be between 1 and");
  bad(ParamValue::map({{"seed", 1}}), "unknown parameter \"seed\"");
}

}  // namespace
}  // namespace epp::plugins

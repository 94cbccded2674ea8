// Generated workloads: arrival times, prompt shapes and sharing, determinism, bodies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tools/bench/workload/text.h"
#include "tools/bench/workload/workload.h"

namespace epp::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

std::vector<Request> all(std::string_view text) {
  auto spec = parseWorkloadSpec(text);
  EXPECT_TRUE(spec.ok()) << spec.error();
  std::vector<Request> out;
  if (!spec) return out;
  Workload workload(*spec);
  while (auto r = workload.next()) {
    out.push_back(std::move(*r));
    if (out.size() > 1'000'000) break;
  }
  return out;
}

TEST(SyntheticTextTest, FourCharactersPerTokenAndDeterministic) {
  EXPECT_EQ(syntheticText(1, 6000).size(), 24000u);
  EXPECT_EQ(syntheticText(1, 0), "");
  EXPECT_EQ(syntheticText(7, 100), syntheticText(7, 100));
  // A longer text of the same seed extends the shorter one: lengths never shift content.
  EXPECT_EQ(syntheticText(7, 200).substr(0, 400), syntheticText(7, 100));
  // Distinct seeds differ within the first cache block (16 tokens).
  EXPECT_NE(syntheticText(1, 16), syntheticText(2, 16));
}

TEST(WorkloadTest, ConstantRateArrivesEvenlyUntilTheDuration) {
  std::vector<Request> r = all("random:input=4,rate=constant:10,duration=1s");
  ASSERT_EQ(r.size(), 10u);
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].arrival, milliseconds(100 * i));
    EXPECT_EQ(r[i].index, i);
    EXPECT_EQ(r[i].id, "req-" + std::to_string(i));
  }
}

TEST(WorkloadTest, RequestCountEndsFirst) {
  EXPECT_EQ(all("random:rate=constant:10,duration=10s,requests=7").size(), 7u);
  // A closed loop has no arrival times.
  std::vector<Request> closed = all("random:concurrency=4,requests=5");
  ASSERT_EQ(closed.size(), 5u);
  for (const Request& r : closed) EXPECT_EQ(r.arrival, nanoseconds(0));
}

TEST(WorkloadTest, LadderStagesChangeTheRateAtTheirBoundaries) {
  std::vector<Request> r = all("random:rate=constant:2@1s+4@1s");
  std::vector<nanoseconds> arrivals;
  for (const Request& x : r) arrivals.push_back(x.arrival);
  EXPECT_EQ(arrivals,
            (std::vector<nanoseconds>{milliseconds(0), milliseconds(500), milliseconds(1000),
                                      milliseconds(1250), milliseconds(1500), milliseconds(1750)}));
}

TEST(WorkloadTest, PoissonArrivalsHaveTheRateAndTheSeedFixesThem) {
  std::vector<Request> r = all("random:input=1,rate=poisson:50,requests=20000");
  ASSERT_EQ(r.size(), 20000u);
  double mean = std::chrono::duration<double>(r.back().arrival).count() / 20000;
  EXPECT_NEAR(mean, 0.02, 0.02 * 0.03);
  // Exponential gaps: about e^-1 of them exceed the mean.
  size_t longer = 0;
  for (size_t i = 1; i < r.size(); ++i) {
    if (std::chrono::duration<double>(r[i].arrival - r[i - 1].arrival).count() > 0.02) ++longer;
  }
  EXPECT_NEAR(static_cast<double>(longer) / 20000, std::exp(-1.0), 0.02);

  std::vector<Request> again = all("random:input=1,rate=poisson:50,requests=20000");
  std::vector<Request> other = all("random:input=1,rate=poisson:50,requests=20000,seed=2");
  EXPECT_EQ(again[12345].arrival, r[12345].arrival);
  EXPECT_NE(other[12345].arrival, r[12345].arrival);
  // Per-stage Poisson within a ladder: each stage's count is close to rate × duration.
  std::vector<Request> ladder = all("random:input=1,rate=poisson:100@20s+400@20s");
  size_t first = 0;
  for (const Request& x : ladder) first += x.arrival < std::chrono::seconds(20) ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(first), 2000, 150);
  EXPECT_NEAR(static_cast<double>(ladder.size() - first), 8000, 300);
  EXPECT_LT(ladder.back().arrival, std::chrono::seconds(40));
}

TEST(WorkloadTest, SharedPrefixSharesTheSystemPromptPerGroupAndTheQuestionPerUser) {
  std::vector<Request> r =
      all("shared-prefix:groups=3,users=2,system=10,question=5,output=7,concurrency=1,"
          "requests=300");
  ASSERT_EQ(r.size(), 300u);
  std::map<uint32_t, const std::string*> systems;
  std::map<std::pair<uint32_t, uint32_t>, const std::string*> questions;
  std::map<std::pair<uint32_t, uint32_t>, int> counts;
  for (const Request& x : r) {
    ASSERT_LT(x.group, 3u);
    ASSERT_LT(x.user, 2u);
    ASSERT_EQ(x.messages.size(), 2u);
    EXPECT_EQ(x.messages[0].role, "system");
    EXPECT_EQ(x.messages[0].content->size(), 40u);
    EXPECT_EQ(x.messages[1].role, "user");
    EXPECT_EQ(x.messages[1].content->size(), 20u);
    EXPECT_EQ(x.inputTokens, 15u);
    EXPECT_EQ(x.maxTokens, 7u);
    // The same object, not an equal copy: a group's prompt exists once.
    auto [s, newGroup] = systems.emplace(x.group, x.messages[0].content.get());
    EXPECT_EQ(s->second, x.messages[0].content.get());
    auto [q, newUser] = questions.emplace(std::pair{x.group, x.user}, x.messages[1].content.get());
    EXPECT_EQ(q->second, x.messages[1].content.get());
    ++counts[{x.group, x.user}];
  }
  // Every one of the 6 prompts is drawn, about 50 times each.
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [prompt, n] : counts) EXPECT_NEAR(n, 50, 25);
  EXPECT_NE(*systems[0], *systems[1]);
  EXPECT_NE(systems[0]->substr(0, 16), systems[1]->substr(0, 16));
}

TEST(WorkloadTest, MultiTurnGrowsEachConversationWithSyntheticAnswers) {
  std::vector<Request> r =
      all("multi-turn:conversations=1,turns=3,system=4,question=2,output=3,concurrency=1,"
          "requests=4");
  ASSERT_EQ(r.size(), 4u);
  std::vector<uint32_t> tokens, sizes, turns, groups;
  for (const Request& x : r) {
    tokens.push_back(x.inputTokens);
    sizes.push_back(static_cast<uint32_t>(x.messages.size()));
    turns.push_back(x.turn);
    groups.push_back(x.group);
  }
  // system 4 + user 2; then + assistant 3 + user 2 per turn; then a new conversation.
  EXPECT_EQ(tokens, (std::vector<uint32_t>{6, 11, 16, 6}));
  EXPECT_EQ(sizes, (std::vector<uint32_t>{2, 4, 6, 2}));
  EXPECT_EQ(turns, (std::vector<uint32_t>{0, 1, 2, 0}));
  EXPECT_EQ(groups, (std::vector<uint32_t>{0, 0, 0, 1}));
  EXPECT_EQ(r[2].messages[2].role, "assistant");
  EXPECT_EQ(r[2].messages[2].content->size(), 12u);
  // Turn 2 repeats turn 1's messages as its prefix, the very same strings.
  for (size_t i = 0; i < r[1].messages.size(); ++i) {
    EXPECT_EQ(r[2].messages[i].content.get(), r[1].messages[i].content.get());
  }
  // Every conversation shares the one system prompt.
  EXPECT_EQ(r[3].messages[0].content.get(), r[0].messages[0].content.get());
  EXPECT_NE(*r[3].messages[1].content, *r[0].messages[1].content);
}

TEST(WorkloadTest, RandomDrawsLengthsWithinTheRange) {
  std::vector<Request> r = all("random:input=10..20,output=1..3,concurrency=1,requests=200");
  std::set<uint32_t> inputs, outputs;
  for (const Request& x : r) {
    inputs.insert(x.inputTokens);
    outputs.insert(x.maxTokens);
    EXPECT_EQ(x.messages.size(), 1u);
  }
  EXPECT_EQ(*inputs.begin(), 10u);
  EXPECT_EQ(*inputs.rbegin(), 20u);
  EXPECT_EQ(inputs.size(), 11u);
  EXPECT_EQ(outputs, (std::set<uint32_t>{1, 2, 3}));
}

TEST(WorkloadTest, LoraIsChosenPerGroupWithTheShare) {
  std::vector<Request> r =
      all("shared-prefix:groups=200,users=1,system=1,question=1,lora=sql+chat,lora-share=0.5,"
          "concurrency=1,requests=2000");
  std::map<uint32_t, std::optional<std::string>> byGroup;
  for (const Request& x : r) {
    auto [it, added] = byGroup.emplace(x.group, x.lora);
    EXPECT_EQ(it->second, x.lora) << "group " << x.group;
    if (x.lora) {
      EXPECT_EQ(*x.lora, x.group % 2 == 0 ? "sql" : "chat");
    }
  }
  size_t withLora = 0;
  for (const auto& [group, lora] : byGroup) withLora += lora ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(withLora) / static_cast<double>(byGroup.size()), 0.5, 0.12);
}

TEST(WorkloadTest, ClassesAreDrawnPerRequestWithTheirShares) {
  auto spec = parseWorkloadSpec(
      "random:classes=critical:0.2+sheddable:0.8,rate=poisson:100,"
      "requests=5000,seed=4");
  ASSERT_TRUE(spec) << spec.error();
  Workload w(*spec);
  std::map<std::string, int> counts;
  std::vector<std::string> first;
  while (auto r = w.next()) {
    ASSERT_TRUE(r->objective);
    ++counts[*r->objective];
    if (first.size() < 20) first.push_back(*r->objective);
  }
  EXPECT_NEAR(counts["critical"], 1000, 100);
  EXPECT_NEAR(counts["sheddable"], 4000, 100);
  // The same seed draws the same classes.
  Workload again(*spec);
  for (const std::string& objective : first) EXPECT_EQ(*again.next()->objective, objective);
  // Without classes= no request names an objective.
  Workload plain(*parseWorkloadSpec("random:rate=poisson:1,requests=3"));
  EXPECT_FALSE(plain.next()->objective);
}

TEST(WorkloadTest, BodiesAreOpenAiJson) {
  std::vector<Request> r =
      all("shared-prefix:groups=1,users=1,system=2,question=1,output=9,lora=sql,model=llama,"
          "concurrency=1,requests=1");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(requestPath(r[0]), "/v1/chat/completions");
  auto body = nlohmann::json::parse(requestBody(r[0]));
  EXPECT_EQ(body["model"], "sql");
  EXPECT_EQ(r[0].model, "llama");
  ASSERT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][0]["content"], *r[0].messages[0].content);
  EXPECT_EQ(body["max_tokens"], 9);
  EXPECT_EQ(body["ignore_eos"], true);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);

  std::vector<Request> c =
      all("random:input=3,api=completions,stream=false,concurrency=1,requests=1");
  EXPECT_EQ(requestPath(c[0]), "/v1/completions");
  auto completion = nlohmann::json::parse(requestBody(c[0]));
  EXPECT_EQ(completion["prompt"], *c[0].messages[0].content);
  EXPECT_EQ(completion["stream"], false);
  EXPECT_FALSE(completion.contains("stream_options"));
  EXPECT_EQ(promptText(r[0]), *r[0].messages[0].content + "\n" + *r[0].messages[1].content);
}

TEST(WorkloadTest, SameSpecSameRequests) {
  const char* spec =
      "multi-turn:conversations=5,turns=4,question=3..9,output=2..5,rate=poisson:20,duration=5s";
  std::vector<Request> a = all(spec);
  std::vector<Request> b = all(spec);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_GT(a.size(), 50u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].arrival, b[i].arrival);
    EXPECT_EQ(requestBody(a[i]), requestBody(b[i]));
  }
}

TEST(WorkloadTest, SeventyThreeCapacityPromptsAreCheapToGenerate) {
  // 150 groups × 5 users at 6000 + 1200 tokens: generating 2000 requests builds each
  // group's 24 KB system prompt once, not per request.
  std::vector<Request> r =
      all("shared-prefix:groups=150,users=5,system=6000,question=1200,output=1000,"
          "rate=poisson:60,requests=2000");
  std::set<const std::string*> systems;
  for (const Request& x : r) systems.insert(x.messages[0].content.get());
  EXPECT_EQ(systems.size(), 150u);
  EXPECT_EQ(r[0].inputTokens, 7200u);
}

}  // namespace
}  // namespace epp::bench

// The workload spec grammar: every key, the canonical spelling, and each mistake rejected
// with a message that names it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tools/bench/workload/spec.h"

namespace epp::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

WorkloadSpec parse(std::string_view text) {
  auto spec = parseWorkloadSpec(text);
  EXPECT_TRUE(spec.ok()) << spec.error();
  return spec ? *spec : WorkloadSpec{};
}

std::string error(std::string_view text) {
  auto spec = parseWorkloadSpec(text);
  EXPECT_FALSE(spec.ok()) << text << " parsed";
  return spec ? std::string() : spec.error();
}

TEST(WorkloadSpecTest, SeventyThreeCapacityShape) {
  WorkloadSpec s = parse(
      "shared-prefix:groups=150,users=5,system=6000,question=1200,output=1000,"
      "rate=poisson:10,duration=60s,seed=1");
  EXPECT_EQ(s.kind, WorkloadKind::kSharedPrefix);
  EXPECT_EQ(s.groups, 150u);
  EXPECT_EQ(s.users, 5u);
  EXPECT_EQ(s.systemTokens, 6000u);
  EXPECT_EQ(s.question, (TokenRange{1200, 1200}));
  EXPECT_EQ(s.output, (TokenRange{1000, 1000}));
  EXPECT_EQ(s.arrival.kind, ArrivalKind::kPoisson);
  ASSERT_EQ(s.arrival.stages.size(), 1u);
  EXPECT_EQ(s.arrival.stages[0].rate, 10);
  EXPECT_FALSE(s.arrival.ladder());
  EXPECT_EQ(s.duration, seconds(60));
  EXPECT_FALSE(s.requests);
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.model, "sim-model");
  EXPECT_TRUE(s.stream);
  EXPECT_EQ(s.api, Api::kChat);
}

TEST(WorkloadSpecTest, LadderSetsTheDurationToTheSumOfItsStages) {
  WorkloadSpec s = parse("shared-prefix:rate=poisson:15@50s+3@20s+60@1.5s");
  ASSERT_EQ(s.arrival.stages.size(), 3u);
  EXPECT_TRUE(s.arrival.ladder());
  EXPECT_EQ(s.arrival.stages[0], (RateStage{15, seconds(50)}));
  EXPECT_EQ(s.arrival.stages[2], (RateStage{60, milliseconds(1500)}));
  EXPECT_EQ(s.duration, milliseconds(71500));
}

TEST(WorkloadSpecTest, OtherKindsAndCommonKeys) {
  WorkloadSpec m = parse(
      "multi-turn:conversations=20,turns=6,system=0,question=50..80,output=30,concurrency=8,"
      "requests=200,model=llama,lora=sql+chat,lora-share=0.25,api=completions,stream=false");
  EXPECT_EQ(m.kind, WorkloadKind::kMultiTurn);
  EXPECT_EQ(m.conversations, 20u);
  EXPECT_EQ(m.turns, 6u);
  EXPECT_EQ(m.systemTokens, 0u);
  EXPECT_EQ(m.question, (TokenRange{50, 80}));
  EXPECT_TRUE(m.arrival.closedLoop());
  EXPECT_EQ(m.arrival.concurrency, 8u);
  EXPECT_EQ(m.requests, 200u);
  EXPECT_EQ(m.model, "llama");
  EXPECT_EQ(m.loras, (std::vector<std::string>{"sql", "chat"}));
  EXPECT_EQ(m.loraShare, 0.25);
  EXPECT_EQ(m.api, Api::kCompletions);
  EXPECT_FALSE(m.stream);

  WorkloadSpec r = parse("random:input=100..2000,output=50..300,rate=constant:2.5,duration=250ms");
  EXPECT_EQ(r.input, (TokenRange{100, 2000}));
  EXPECT_EQ(r.arrival.kind, ArrivalKind::kConstant);
  EXPECT_EQ(r.arrival.stages[0].rate, 2.5);
  EXPECT_EQ(r.duration, milliseconds(250));
}

TEST(WorkloadSpecTest, CanonicalSpellingParsesBackEqual) {
  for (const char* text :
       {"shared-prefix:groups=3,users=2,rate=poisson:10,duration=60s",
        "shared-prefix:rate=constant:15@50s+3@20s,requests=100,lora=a+b,lora-share=0.5",
        "multi-turn:concurrency=4,requests=10,question=5..9,api=completions",
        "random:input=1..2,rate=poisson:0.5,duration=1500ms,stream=false,seed=99"}) {
    WorkloadSpec spec = parse(text);
    std::string canonical = formatWorkloadSpec(spec);
    EXPECT_EQ(parse(canonical), spec) << text << " -> " << canonical;
  }
  EXPECT_EQ(formatWorkloadSpec(parse("random:rate=poisson:2,duration=90s")),
            "random:seed=1,model=sim-model,api=chat,stream=true,input=500,output=100,"
            "rate=poisson:2,duration=90s");
}

TEST(WorkloadSpecTest, DurationsParseAndFormat) {
  EXPECT_EQ(*parseDuration("60s"), seconds(60));
  EXPECT_EQ(*parseDuration("2m"), seconds(120));
  EXPECT_EQ(*parseDuration("1h"), seconds(3600));
  EXPECT_EQ(*parseDuration("0.5s"), milliseconds(500));
  EXPECT_EQ(formatDuration(seconds(120)), "2m");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(formatDuration(seconds(45)), "45s");
  EXPECT_THAT(parseDuration("60").error(), HasSubstr("a number and a unit of ms, s, m or h"));
  EXPECT_THAT(parseDuration("0s").error(), HasSubstr("must be positive"));
  EXPECT_THAT(parseDuration("1.2.3s").error(), HasSubstr("'1.2.3' is not a number"));
}

TEST(WorkloadSpecTest, TrafficClassesNameObjectivesWithShares) {
  WorkloadSpec s =
      parse("random:classes=critical:0.2+standard:0.3+sheddable:0.5,rate=poisson:5,requests=9");
  ASSERT_EQ(s.classes.size(), 3u);
  EXPECT_EQ(s.classes[0], (TrafficClass{"critical", 0.2}));
  EXPECT_EQ(s.classes[2], (TrafficClass{"sheddable", 0.5}));
  std::string canonical = formatWorkloadSpec(s);
  EXPECT_THAT(canonical, HasSubstr(",classes=critical:0.2+standard:0.3+sheddable:0.5,"));
  EXPECT_EQ(parse(canonical), s);
  EXPECT_THAT(error("random:classes=a:0.5+b:0.4,rate=poisson:1,requests=5"),
              HasSubstr("classes: the shares add up to 0.9, not 1"));
  EXPECT_THAT(error("random:classes=a:0.5+a:0.5,rate=poisson:1,requests=5"),
              HasSubstr("classes: 'a' given twice"));
  EXPECT_THAT(error("random:classes=a,rate=poisson:1,requests=5"),
              HasSubstr("classes: 'a' is not OBJECTIVE:SHARE"));
  EXPECT_THAT(error("random:classes=a:0+b:1,rate=poisson:1,requests=5"),
              HasSubstr("classes: share 0 of 'a' is not in (0, 1]"));
}

TEST(WorkloadSpecTest, MistakesAreNamed) {
  EXPECT_THAT(error("shared-prefx:rate=poisson:1,duration=1s"),
              HasSubstr("unknown workload 'shared-prefx' (known: shared-prefix, multi-turn, "
                        "random) (did you mean 'shared-prefix'?)"));
  EXPECT_THAT(error("shared-prefix:grups=3,rate=poisson:1,duration=1s"),
              HasSubstr("unknown key 'grups' for shared-prefix (did you mean 'groups'?)"));
  // A key of another kind is unknown here, and the message lists the keys that are known.
  EXPECT_THAT(error("shared-prefix:input=3,rate=poisson:1,duration=1s"),
              HasSubstr("unknown key 'input' for shared-prefix"));
  EXPECT_THAT(error("shared-prefix:input=3,rate=poisson:1,duration=1s"),
              HasSubstr("groups, users, system, question, output"));
  EXPECT_THAT(error("random:output=3,output=4,rate=poisson:1,duration=1s"),
              HasSubstr("output: given twice"));
  EXPECT_THAT(error("random:rate=poisson:1,concurrency=2,duration=1s"),
              HasSubstr("rate and concurrency exclude each other"));
  EXPECT_THAT(error("random:duration=1s"), HasSubstr("needs rate=PROCESS:RATE"));
  EXPECT_THAT(error("random:rate=poisson:1"), HasSubstr("needs duration= or requests="));
  EXPECT_THAT(error("random:concurrency=2"), HasSubstr("needs duration= or requests="));
  EXPECT_THAT(error("random:rate=poisson:1@1s+2@1s,duration=5s"),
              HasSubstr("a ladder's duration is the sum of its stages"));
  EXPECT_THAT(error("random:rate=poisson:1@1s+2,requests=5"),
              HasSubstr("every stage of a ladder needs its duration"));
  EXPECT_THAT(error("random:rate=uniform:1,requests=5"), HasSubstr("PROCESS poisson or constant"));
  EXPECT_THAT(error("random:rate=poisson:0,requests=5"), HasSubstr("must be positive"));
  EXPECT_THAT(error("random:rate=poisson:,requests=5"), HasSubstr("no requests-per-second"));
  EXPECT_THAT(error("random:rate=poisson:1,requests=0"), HasSubstr("requests: must be at least 1"));
  EXPECT_THAT(error("random:input=20..10,rate=poisson:1,requests=5"),
              HasSubstr("input: range '20..10' runs backwards"));
  EXPECT_THAT(error("random:input=ten,rate=poisson:1,requests=5"),
              HasSubstr("input: 'ten' is not a whole number"));
  EXPECT_THAT(error("random:lora-share=0.5,rate=poisson:1,requests=5"),
              HasSubstr("lora-share: needs lora=NAME"));
  EXPECT_THAT(error("random:lora=a+,rate=poisson:1,requests=5"),
              HasSubstr("lora: 'a+' has an empty adapter name"));
  EXPECT_THAT(error("random:lora=a,lora-share=2,rate=poisson:1,requests=5"),
              HasSubstr("lora-share: 2 is not between 0 and 1"));
  EXPECT_THAT(error("random:stream=yes,rate=poisson:1,requests=5"),
              HasSubstr("stream: 'yes' is not true or false"));
  EXPECT_THAT(error("random:rate=poisson:1,,requests=5"), HasSubstr("empty item"));
  EXPECT_THAT(error("random:rate"), HasSubstr("'rate' is not KEY=VALUE"));
  EXPECT_THAT(error("multi-turn:turns=0,concurrency=1,requests=1"),
              HasSubstr("turns: must be at least 1"));
  // The whole spec is quoted, so the message stands alone in a log.
  EXPECT_THAT(error("random:duration=1s"), HasSubstr("workload 'random:duration=1s': "));
}

}  // namespace
}  // namespace epp::bench

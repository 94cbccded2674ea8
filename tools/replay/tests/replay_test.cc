// `eppd replay` in process: the real pipeline and built-in plugin libraries against
// simulated servers in virtual time. The ordering test is the seeded regression guard of
// scheduling quality that docs/benchmarks.md measures at full size.
#include "tools/replay/replay.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "tools/bench/report/summary.h"

namespace epp::replay {
namespace {

namespace fs = std::filesystem;

fs::path cacheDir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("eppd-replay-test-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

runtime::LoadOptions load(const std::string& config) {
  runtime::LoadOptions o;
  if (!config.empty()) o.configPath = config;
  o.pluginDirs = {EPP_BUILTIN_PLUGIN_DIR};
  o.pluginCache = cacheDir();
  return o;
}

std::string configFile(const std::string& name) {
  return std::string(EPP_CONFIGS_DIR) + "/" + name;
}

ReplayOptions options(const std::string& workload, int servers) {
  auto spec = bench::parseWorkloadSpec(workload);
  EXPECT_TRUE(spec) << spec.error();
  ReplayOptions o;
  o.workload = *spec;
  o.servers = servers;
  return o;
}

bench::Run replayOk(const std::string& config, const ReplayOptions& o) {
  auto run = replayConfig(load(config), o);
  EXPECT_TRUE(run) << run.error();
  return run ? std::move(*run) : bench::Run{};
}

// 16 groups sharing 2000-token system prompts on 4 servers, busy enough to queue.
constexpr char kSharedPrefix[] =
    "shared-prefix:groups=16,users=4,system=2000,question=200,output=200,rate=poisson:20,"
    "requests=400,seed=3";

TEST(ReplayTest, DefaultBeatsLoadOnlyWhichBeatsRandomOnTtftP90) {
  ReplayOptions o = options(kSharedPrefix, 4);
  double p90[3];
  const char* configs[] = {"default.yaml", "load-only.yaml", "random.yaml"};
  for (int i = 0; i < 3; ++i) {
    bench::Summary s = bench::summarize(replayOk(configFile(configs[i]), o));
    ASSERT_EQ(s.ok, 400u) << configs[i];
    p90[i] = s.ttft.p90;
  }
  EXPECT_LT(p90[0] * 2, p90[1]) << "default " << p90[0] << " s, load-only " << p90[1] << " s";
  EXPECT_LT(p90[1], p90[2]) << "load-only " << p90[1] << " s, random " << p90[2] << " s";
}

TEST(ReplayTest, EveryRequestIsAccountedForAndPrefixAffinityShows) {
  bench::Run run = replayOk(configFile("default.yaml"), options(kSharedPrefix, 4));
  ASSERT_EQ(run.records.size(), 400u);
  std::set<std::string> endpoints;
  for (size_t i = 0; i < run.records.size(); ++i) {
    const auto& r = run.records[i];
    EXPECT_EQ(r.index, i);
    EXPECT_TRUE(r.ok()) << r.id << ": " << r.error;
    EXPECT_EQ(r.status, 200);
    ASSERT_TRUE(r.ttft.has_value()) << r.id;
    EXPECT_GT(*r.ttft, 0);
    EXPECT_LE(*r.ttft, r.e2e);
    EXPECT_EQ(r.outputTokens, 200u);
    // System and question joined by a newline: 8,801 characters, 4 to a token, rounded up.
    EXPECT_EQ(r.inputTokens, 2201u);
    endpoints.insert(r.endpoint);
  }
  EXPECT_EQ(endpoints.size(), 4u);
  ASSERT_TRUE(run.prefix);
  // 16 system prompts of 2000 tokens on 4 servers: with affinity, most prompt tokens hit.
  EXPECT_GT(run.prefix->hits / run.prefix->queries, 0.85);
}

// precise-prefix-cache-scorer fed by the engines' KV events in virtual time: the same
// affinity as the approximate index on this workload, far ahead of cache-blind routing.
TEST(ReplayTest, PreciseScoringFollowsTheServersOwnCaches) {
  ReplayOptions o = options(kSharedPrefix, 4);
  bench::Run precise = replayOk(configFile("precise-sim.yaml"), o);
  ASSERT_EQ(precise.records.size(), 400u);
  ASSERT_TRUE(precise.prefix);
  EXPECT_GT(precise.prefix->hits / precise.prefix->queries, 0.85);
  bench::Summary p = bench::summarize(precise);
  bench::Summary r = bench::summarize(replayOk(configFile("random.yaml"), o));
  EXPECT_EQ(p.ok, 400u);
  EXPECT_LT(p.ttft.p90 * 2, r.ttft.p90)
      << "precise " << p.ttft.p90 << " s, random " << r.ttft.p90 << " s";
}

// Two eppd replicas taking requests in turn: each approximate index sees half the routing
// and guesses wrong about the other half; the precise scorers of both replicas follow every
// server's own events.
TEST(ReplayTest, ReplicasAgreeOnPreciseCacheStateAndNotOnApproximateGuesses) {
  ReplayOptions o = options(kSharedPrefix, 4);
  o.replicas = 2;
  bench::Run precise = replayOk(configFile("precise-sim.yaml"), o);
  bench::Run approximate = replayOk(configFile("reference-default.yaml"), o);
  bench::Summary p = bench::summarize(precise);
  bench::Summary a = bench::summarize(approximate);
  ASSERT_EQ(p.ok, 400u);
  ASSERT_EQ(a.ok, 400u);
  EXPECT_LT(p.ttft.p90 * 2, a.ttft.p90)
      << "precise " << p.ttft.p90 << " s, approximate " << a.ttft.p90 << " s";
  EXPECT_GT(precise.prefix->hits / precise.prefix->queries,
            approximate.prefix->hits / approximate.prefix->queries);
  o.replicas = 0;
  EXPECT_FALSE(replayConfig(load(configFile("precise-sim.yaml")), o));
}

TEST(ReplayTest, TheSameSeedRepeatsExactlyAndAnotherDiffers) {
  ReplayOptions o = options(kSharedPrefix, 4);
  bench::Run a = replayOk(configFile("default.yaml"), o);
  bench::Run b = replayOk(configFile("default.yaml"), o);
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    EXPECT_EQ(a.records[i].endpoint, b.records[i].endpoint) << i;
    EXPECT_EQ(a.records[i].ttft, b.records[i].ttft) << i;
    EXPECT_EQ(a.records[i].e2e, b.records[i].e2e) << i;
  }
  o.seed = 99;  // the picks' seed only: same workload, other tie breaks
  bench::Run c = replayOk(configFile("random.yaml"), o);
  bench::Run d = replayOk(configFile("random.yaml"), options(kSharedPrefix, 4));
  size_t differ = 0;
  for (size_t i = 0; i < c.records.size(); ++i)
    differ += c.records[i].endpoint != d.records[i].endpoint;
  EXPECT_GT(differ, 200u);
}

// Few shared prefixes: the saturation filter keeps the default profile from piling every
// request onto the servers that hold them (the reference default does exactly that).
TEST(ReplayTest, DefaultDoesNotHotSpotOnOnePrefixGroup) {
  ReplayOptions o = options(
      "shared-prefix:groups=1,users=64,system=6000,question=1200,output=1000,"
      "rate=poisson:20,duration=120s",
      8);
  double defaultP90 = bench::summarize(replayOk(configFile("default.yaml"), o)).ttft.p90;
  double loadP90 = bench::summarize(replayOk(configFile("load-only.yaml"), o)).ttft.p90;
  double referenceP90 =
      bench::summarize(replayOk(configFile("reference-default.yaml"), o)).ttft.p90;
  EXPECT_LE(defaultP90, 1.1 * loadP90) << "default " << defaultP90 << " s, load " << loadP90;
  EXPECT_GT(referenceP90, 5 * loadP90) << "the reference default no longer hot-spots here; "
                                          "docs/benchmarks.md needs updating";
}

// Overload: 4 servers of 16 sequences get twice what they can serve, 20% of it critical.
// Without admission everyone waits behind everyone; with flow control (configs/
// flow-control.yaml, run in virtual time) critical requests go first and stay fast while
// sheddable ones wait, or are refused at the band's limit or their TTL. The full-size run
// is in docs/benchmarks.md.
TEST(ReplayTest, FlowControlKeepsCriticalTrafficFastUnderOverload) {
  ReplayOptions o = options(
      "random:input=200..1000,output=50..300,classes=critical:0.2+sheddable:0.8,"
      "rate=poisson:10@10s+40@30s,seed=1",
      4);
  o.engine.maxNumSeqs = 16;
  bench::Summary none = bench::summarize(replayOk(configFile("default.yaml"), o));
  bench::Summary flow = bench::summarize(replayOk(configFile("flow-control.yaml"), o));
  const bench::ClassSummary& critical = flow.classes.at("critical");
  EXPECT_EQ(critical.ok, critical.requests);
  EXPECT_LT(critical.ttft.p90, 1.0) << "critical p90 " << critical.ttft.p90 << " s";
  EXPECT_GT(none.classes.at("critical").ttft.p90, 10 * critical.ttft.p90);
  const bench::ClassSummary& sheddable = flow.classes.at("sheddable");
  EXPECT_GT(sheddable.errorsByCode.count("429") + sheddable.errorsByCode.count("503"), 0u);
  EXPECT_GT(sheddable.ttft.p50, critical.ttft.p90);  // queued behind critical traffic
  EXPECT_EQ(none.errorsByCode.size(), 0u);           // no admission: nothing refused, all late
}

// "Flat": critical TTFT under the overload is close to what critical traffic alone, at the
// same rate, gets from the same fleet; the sheddable band's saturationCeiling is what
// keeps it there (without it, critical requests wait for a sheddable one to finish).
TEST(ReplayTest, SaturationCeilingKeepsCriticalTtftNearItsOwnLoadAlone) {
  const std::string overload =
      "random:input=200..1000,output=50..300,classes=critical:0.2+sheddable:0.8,"
      "rate=poisson:40,duration=40s,seed=3";
  ReplayOptions o = options(overload, 4);
  o.engine.maxNumSeqs = 16;
  std::ifstream in(configFile("flow-control.yaml"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string ceiling = "saturationCeiling: 0.8";
  ASSERT_NE(text.find(ceiling), std::string::npos);
  fs::path noReserve = cacheDir() / "flow-control-no-reserve.yaml";
  std::ofstream(noReserve) << text.replace(text.find(ceiling), ceiling.size(),
                                           "saturationCeiling: 1.0");
  bench::Summary flow = bench::summarize(replayOk(configFile("flow-control.yaml"), o));
  bench::Summary full = bench::summarize(replayOk(noReserve.string(), o));
  ReplayOptions alone = options(
      "random:input=200..1000,output=50..300,classes=critical:1,rate=poisson:8,duration=40s,"
      "seed=3",
      4);
  alone.engine.maxNumSeqs = 16;
  bench::Summary only = bench::summarize(replayOk(configFile("flow-control.yaml"), alone));
  const bench::ClassSummary& critical = flow.classes.at("critical");
  const bench::ClassSummary& reference = only.classes.at("critical");
  EXPECT_EQ(critical.ok, critical.requests);
  EXPECT_LT(critical.ttft.p50, 1.2 * reference.ttft.p50)
      << critical.ttft.p50 << " s vs " << reference.ttft.p50 << " s alone";
  EXPECT_LT(critical.ttft.p90, 1.5 * reference.ttft.p90)
      << critical.ttft.p90 << " s vs " << reference.ttft.p90 << " s alone";
  EXPECT_GT(full.classes.at("critical").ttft.p50, 1.5 * critical.ttft.p50)
      << "without the ceiling " << full.classes.at("critical").ttft.p50 << " s";
  EXPECT_GT(flow.classes.at("sheddable").ok, 0u);  // the sheddable band still runs
}

TEST(ReplayTest, RequestsTheServersRefuseAreCountedWithTheirStatus) {
  ReplayOptions o = options("random:input=3000,output=100,rate=constant:10,requests=20", 2);
  o.engine.maxModelLen = 2000;
  bench::Run run = replayOk(configFile("default.yaml"), o);
  ASSERT_EQ(run.records.size(), 20u);
  for (const auto& r : run.records) {
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error, "400");
    EXPECT_FALSE(r.ttft.has_value());
  }
}

TEST(ReplayTest, AConfigThatDoesNotLoadIsAnErrorNamingIt) {
  fs::path bad = cacheDir() / "bad.yaml";
  std::ofstream(bad) << "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
                        "kind: EndpointPickerConfig\n"
                        "plugins: [{type: no-such-scorer}]\n";
  auto run = replayConfig(load(bad.string()), options(kSharedPrefix, 2));
  ASSERT_FALSE(run);
  EXPECT_NE(run.error().find("bad.yaml:3:"), std::string::npos) << run.error();
  EXPECT_NE(run.error().find("no-such-scorer"), std::string::npos) << run.error();
}

TEST(ReplayTest, BadOptionsAreRefused) {
  ReplayOptions o = options(kSharedPrefix, 0);
  auto run = replayConfig(load(configFile("default.yaml")), o);
  ASSERT_FALSE(run);
  EXPECT_NE(run.error().find("--servers"), std::string::npos);
  o.servers = 2;
  o.engine.maxNumSeqs = 0;
  run = replayConfig(load(configFile("default.yaml")), o);
  ASSERT_FALSE(run);
  EXPECT_NE(run.error().find("engine options"), std::string::npos) << run.error();
}

}  // namespace
}  // namespace epp::replay

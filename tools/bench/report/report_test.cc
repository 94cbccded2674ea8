// Percentiles, summaries, the side-by-side table, the JSON report and the plot files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "tools/bench/report/json.h"
#include "tools/bench/report/plot.h"
#include "tools/bench/report/summary.h"
#include "tools/bench/report/table.h"

namespace epp::bench {
namespace {

using ::testing::HasSubstr;

TEST(PercentileTest, InterpolatesBetweenClosestRanks) {
  std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(v, 100), 10);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 5.5);
  EXPECT_DOUBLE_EQ(percentile(v, 90), 9.1);
  EXPECT_DOUBLE_EQ(percentile(v, 99), 9.91);
  // Order does not matter.
  EXPECT_DOUBLE_EQ(percentile({10, 1, 5}, 50), 5);
  EXPECT_DOUBLE_EQ(percentile({4}, 99), 4);
  EXPECT_DOUBLE_EQ(percentile({0, 100}, 25), 25);
  EXPECT_TRUE(std::isnan(percentile({}, 50)));

  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  Distribution d = distributionOf(hundred);
  EXPECT_EQ(d.count, 100u);
  EXPECT_DOUBLE_EQ(d.mean, 50.5);
  EXPECT_DOUBLE_EQ(d.p50, 50.5);
  EXPECT_DOUBLE_EQ(d.p90, 90.1);
  EXPECT_DOUBLE_EQ(d.p99, 99.01);
  EXPECT_DOUBLE_EQ(d.max, 100);
}

RequestRecord ok(const std::string& endpoint, double ttft, double e2e, uint32_t out,
                 std::optional<uint32_t> cached = std::nullopt) {
  RequestRecord r;
  r.status = 200;
  r.endpoint = endpoint;
  r.ttft = ttft;
  r.e2e = e2e;
  r.inputTokens = 100;
  r.outputTokens = out;
  r.cachedTokens = cached;
  return r;
}

RequestRecord failed(const std::string& code, const std::string& endpoint = "") {
  RequestRecord r;
  r.status = std::atoi(code.c_str());
  r.error = code;
  r.detail = "inference error: TooManyRequests - shed";
  r.endpoint = endpoint;
  r.e2e = 0.001;
  r.inputTokens = 100;
  return r;
}

// Two runs on the same four requests: a fast one and a baseline twice as slow.
std::vector<Run> twoRuns() {
  bench::Run fast{"eppd", "ext_proc 127.0.0.1:9002", 2.0, {}, PrefixCounters{80, 100}};
  fast.records = {ok("a:1", 0.1, 1.0, 10, 50), ok("a:1", 0.2, 1.2, 10, 70),
                  ok("b:2", 0.3, 1.4, 10, 90), failed("429")};
  bench::Run slow{"round-robin", "direct", 4.0, {}, PrefixCounters{20, 100}};
  slow.records = {ok("a:1", 0.2, 2.0, 10), ok("b:2", 0.4, 2.4, 10), ok("a:1", 0.6, 2.8, 10),
                  failed("503", "b:2")};
  return {fast, slow};
}

TEST(SummaryTest, CountsLatenciesThroughputSharesAndHitRates) {
  Summary s = summarize(twoRuns()[0]);
  EXPECT_EQ(s.requests, 4u);
  EXPECT_EQ(s.ok, 3u);
  EXPECT_EQ(s.errorsByCode, (std::map<std::string, size_t>{{"429", 1}}));
  EXPECT_EQ(s.ttft.count, 3u);
  EXPECT_DOUBLE_EQ(s.ttft.p50, 0.2);
  EXPECT_DOUBLE_EQ(s.ttft.p90, 0.28);
  EXPECT_DOUBLE_EQ(s.e2e.max, 1.4);
  EXPECT_EQ(s.outputTokens, 30u);
  EXPECT_EQ(s.inputTokens, 400u);
  EXPECT_DOUBLE_EQ(s.outputTokensPerSecond, 15);
  EXPECT_DOUBLE_EQ(s.requestsPerSecond, 1.5);
  // The rejected request was never routed: shares are of the 3 routed ones.
  ASSERT_EQ(s.endpoints.size(), 2u);
  EXPECT_EQ(s.endpoints["a:1"].requests, 2u);
  EXPECT_NEAR(s.endpoints["a:1"].share, 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.endpoints["b:2"].share, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(*s.prefixHitRate, 0.8);
  EXPECT_DOUBLE_EQ(*s.cachedTokenRate, 210.0 / 300);

  Summary rr = summarize(twoRuns()[1]);
  EXPECT_EQ(rr.endpoints["b:2"].requests, 2u);  // the failed request was routed there
  EXPECT_FALSE(rr.cachedTokenRate);
}

TEST(SummaryTest, TrafficClassesAreSummarizedApart) {
  bench::Run run = twoRuns()[0];
  run.records[0].objective = "critical";  // ttft 0.1
  run.records[1].objective = "batch";     // ttft 0.2
  run.records[2].objective = "batch";     // ttft 0.3
  run.records[3].objective = "batch";     // 429
  Summary s = summarize(run);
  ASSERT_EQ(s.classes.size(), 2u);
  EXPECT_EQ(s.classes["critical"].requests, 1u);
  EXPECT_DOUBLE_EQ(s.classes["critical"].ttft.p50, 0.1);
  EXPECT_EQ(s.classes["batch"].requests, 3u);
  EXPECT_EQ(s.classes["batch"].ok, 2u);
  EXPECT_DOUBLE_EQ(s.classes["batch"].ttft.p50, 0.25);
  EXPECT_EQ(s.classes["batch"].errorsByCode, (std::map<std::string, size_t>{{"429", 1}}));
  std::string table = formatTable({s});
  EXPECT_THAT(table, HasSubstr("[batch] ok / sent"));
  EXPECT_THAT(table, HasSubstr("2 / 3"));
  EXPECT_THAT(table, HasSubstr("[critical] TTFT p50 (ms)"));
  EXPECT_THAT(table, HasSubstr("[batch] errors"));
  EXPECT_THAT(table, HasSubstr("429:1"));
  nlohmann::json j = reportJson("w", {run}, {});
  EXPECT_EQ(j["runs"][0]["classes"]["batch"]["ok"], 2);
  EXPECT_EQ(j["runs"][0]["classes"]["batch"]["errors"]["429"], 1);
  EXPECT_DOUBLE_EQ(j["runs"][0]["classes"]["critical"]["ttft_s"]["p50"].get<double>(), 0.1);
}

TEST(TableTest, RunsSideBySideWithRatiosAgainstTheFirst) {
  std::vector<Summary> runs;
  for (const bench::Run& r : twoRuns()) runs.push_back(summarize(r));
  std::string table = formatTable(runs);
  std::vector<std::string> lines;
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_GE(lines.size(), 10u) << table;
  EXPECT_THAT(lines[0], ::testing::MatchesRegex(" +eppd +round-robin"));
  EXPECT_THAT(table, HasSubstr("requests ok / sent"));
  EXPECT_THAT(table, ::testing::ContainsRegex("TTFT p50 \\(ms\\) +200\\.0 +400\\.0 \\(2\\.00x\\)"));
  EXPECT_THAT(table, ::testing::ContainsRegex("output tokens/s +15\\.0 +7\\.5 \\(0\\.50x\\)"));
  EXPECT_THAT(table, ::testing::ContainsRegex("prefix hit rate +80\\.0% +20\\.0% \\(0\\.25x\\)"));
  EXPECT_THAT(table, ::testing::ContainsRegex("errors +429:1 +503:1"));
  EXPECT_THAT(table, ::testing::ContainsRegex("share a:1 +66\\.7% \\(2\\) +50\\.0% \\(2\\)"));
  // A metric only one run has is shown, with "-" for the other and no ratio.
  EXPECT_THAT(table, ::testing::ContainsRegex("cached tokens +70\\.0% +-\n"));
  // Columns line up: every row is as wide as its longest cell allows.
  size_t width = lines[1].find("ext_proc");
  EXPECT_NE(width, std::string::npos);
}

TEST(TableTest, MetricsNoRunHasAreLeftOut) {
  bench::Run run{"only", "direct", 1.0, {ok("a:1", 0.1, 0.2, 5)}, std::nullopt};
  std::string table = formatTable({summarize(run)});
  EXPECT_THAT(table, ::testing::Not(HasSubstr("prefix hit rate")));
  EXPECT_THAT(table, ::testing::Not(HasSubstr("cached tokens")));
  EXPECT_THAT(table, HasSubstr("errors"));
  EXPECT_THAT(table, ::testing::ContainsRegex("errors +none"));
}

TEST(JsonReportTest, SummariesRatiosAndRecords) {
  nlohmann::json j = reportJson("random:rate=poisson:1,requests=4", twoRuns(), {true});
  EXPECT_EQ(j["workload"], "random:rate=poisson:1,requests=4");
  EXPECT_EQ(j["baseline"], "eppd");
  ASSERT_EQ(j["runs"].size(), 2u);
  const auto& first = j["runs"][0];
  EXPECT_EQ(first["name"], "eppd");
  EXPECT_EQ(first["requests"], 4);
  EXPECT_EQ(first["ok"], 3);
  EXPECT_EQ(first["errors"]["429"], 1);
  EXPECT_DOUBLE_EQ(first["ttft_s"]["p50"].get<double>(), 0.2);
  EXPECT_EQ(first["ttft_s"]["count"], 3);
  EXPECT_DOUBLE_EQ(first["output_tokens_per_s"].get<double>(), 15);
  EXPECT_DOUBLE_EQ(first["prefix_hit_rate"].get<double>(), 0.8);
  EXPECT_EQ(first["prefix_cache"]["hits"], 80);
  EXPECT_EQ(first["endpoints"]["a:1"]["requests"], 2);
  EXPECT_DOUBLE_EQ(first["ratios"]["ttft_p50"].get<double>(), 1.0);
  ASSERT_EQ(first["records"].size(), 4u);
  EXPECT_EQ(first["records"][0]["cached_tokens"], 50);
  EXPECT_TRUE(first["records"][0]["error"].is_null());
  EXPECT_EQ(first["records"][3]["error"], "429");
  EXPECT_EQ(first["records"][3]["detail"], "inference error: TooManyRequests - shed");
  EXPECT_EQ(first["records"][3]["status"], 429);
  EXPECT_TRUE(first["records"][3]["ttft_s"].is_null());

  const auto& second = j["runs"][1];
  EXPECT_DOUBLE_EQ(second["ratios"]["ttft_p50"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(second["ratios"]["output_tokens_per_s"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(second["ratios"]["prefix_hit_rate"].get<double>(), 0.25);
  EXPECT_TRUE(second["cached_token_rate"].is_null());
  EXPECT_TRUE(second["ratios"]["cached_token_rate"].is_null());

  nlohmann::json brief = reportJson("x", twoRuns());
  EXPECT_FALSE(brief["runs"][0].contains("records"));
  // An empty run has no latencies: null, not NaN (which is not JSON).
  bench::Run empty{"none", "direct", 0, {failed("503")}, std::nullopt};
  nlohmann::json e = reportJson("x", {empty});
  EXPECT_TRUE(e["runs"][0]["ttft_s"]["p90"].is_null());
  EXPECT_EQ(nlohmann::json::parse(e.dump()), e);
  // The wall-clock start only when the runner knew it (a replay has none).
  EXPECT_FALSE(e["runs"][0].contains("started_unix_s"));
  empty.startedUnixSeconds = 1.75e9;
  EXPECT_DOUBLE_EQ(reportJson("x", {empty})["runs"][0]["started_unix_s"].get<double>(), 1.75e9);
}

TEST(PlotTest, CdfDataAndScriptPerRun) {
  std::vector<bench::Run> runs = twoRuns();
  std::string data = ttftCdfData(runs);
  EXPECT_EQ(data,
            "# eppd: TTFT seconds, fraction of successful requests\n"
            "0.100000 0.333333\n0.200000 0.666667\n0.300000 1.000000\n"
            "\n\n"
            "# round-robin: TTFT seconds, fraction of successful requests\n"
            "0.200000 0.333333\n0.400000 0.666667\n0.600000 1.000000\n");
  std::string script = ttftCdfScript(runs, "ttft_cdf.dat", "ttft_cdf.png");
  EXPECT_THAT(script, HasSubstr("set output 'ttft_cdf.png'"));
  EXPECT_THAT(script, HasSubstr("plot 'ttft_cdf.dat' index 0 with steps linewidth 2 title 'eppd'"));
  EXPECT_THAT(script, HasSubstr("'' index 1 with steps linewidth 2 title 'round-robin'"));
  EXPECT_THAT(script, HasSubstr("set logscale x"));

  runs[1].name = "it's";
  EXPECT_THAT(ttftCdfScript(runs, "d", "p"), HasSubstr("title 'it''s'"));
}

TEST(PlotTest, WritesFilesIntoTheDirectory) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("bench-plot-" + std::to_string(::getpid())) / "nested";
  auto files = writeTtftCdfPlot(dir, twoRuns(), /*render=*/false);
  ASSERT_TRUE(files.ok()) << files.error();
  EXPECT_FALSE(files->rendered);
  EXPECT_THAT(files->note, HasSubstr("gnuplot ttft_cdf.gp"));
  std::ifstream in(dir / "ttft_cdf.dat");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), ttftCdfData(twoRuns()));
  EXPECT_TRUE(std::filesystem::exists(dir / "ttft_cdf.gp"));
  std::filesystem::remove_all(dir.parent_path());

  auto bad = writeTtftCdfPlot("/proc/version/x", twoRuns(), false);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error(), HasSubstr("plot: cannot create /proc/version/x"));
}

}  // namespace
}  // namespace epp::bench

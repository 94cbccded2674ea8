// deploy/grafana/eppd-dashboard.json: it parses, its panels cover what an operator watches,
// and every metric a panel queries is one eppd really exports: eppd runs with flow control
// in front of an eppd-sim server, serves a request, answers a bad one, reloads once, and
// its /metrics is scraped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/deploy/manifest_util.h"
#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/sim_process.h"
#include "tests/integration/wait_until.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kDashboard = fs::path(DEPLOY_DIR) / "grafana" / "eppd-dashboard.json";

// Metric names a PromQL expression reads: identifiers that are not functions (followed by
// '('), keywords, label names (inside {} or by/without (...)), durations or strings.
std::set<std::string> metricNames(std::string expr) {
  auto erase = [&expr](const std::regex& re) { expr = std::regex_replace(expr, re, " "); };
  erase(std::regex(R"("(?:[^"\\]|\\.)*")"));  // strings
  erase(std::regex(R"(\{[^}]*\})"));          // label matchers
  erase(std::regex(R"(\[[^\]]*\])"));         // range selectors
  erase(std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"));
  static const std::set<std::string> keywords = {"by",         "without",     "on",    "ignoring",
                                                 "group_left", "group_right", "bool",  "and",
                                                 "or",         "unless",      "offset"};
  std::set<std::string> names;
  std::regex ident(R"(([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?)");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), ident);
       it != std::sregex_iterator(); ++it) {
    if ((*it)[2].matched) continue;  // a function call
    std::string name = (*it)[1];
    if (keywords.count(name) == 0) names.insert(name);
  }
  return names;
}

TEST(GrafanaDashboardTest, MetricNameExtractionSkipsFunctionsLabelsAndRanges) {
  EXPECT_EQ(metricNames("histogram_quantile(0.99, sum by (le, inference_pool) "
                        "(rate(a_bucket{job=~\"x\"}[$__rate_interval])))"),
            (std::set<std::string>{"a_bucket"}));
  EXPECT_EQ(metricNames("max by (name) (b{x=\"y\"}) / ignoring(z) c"),
            (std::set<std::string>{"b", "c"}));
}

// Every (panel title, expr) of the dashboard.
std::vector<std::pair<std::string, std::string>> panelQueries(const json& dashboard) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& panel : dashboard["panels"]) {
    if (panel["type"] == "row") continue;
    EXPECT_FALSE(panel["targets"].empty()) << panel["title"];
    for (const auto& target : panel["targets"]) out.emplace_back(panel["title"], target["expr"]);
  }
  return out;
}

TEST(GrafanaDashboardTest, DashboardParsesAndCoversEachArea) {
  json dashboard = json::parse(readFile(kDashboard));  // throws on malformed JSON
  EXPECT_EQ(dashboard["uid"], "eppd-overview");
  std::set<std::string> used;
  std::set<int> ids;
  for (const auto& panel : dashboard["panels"]) {
    EXPECT_TRUE(ids.insert(panel["id"].get<int>()).second) << "duplicate panel id";
  }
  for (const auto& [title, expr] : panelQueries(dashboard)) {
    for (const auto& n : metricNames(expr)) used.insert(n);
  }
  for (const char* metric :
       {"inference_objective_request_total", "inference_objective_request_error_total",
        "inference_extension_scheduler_e2e_duration_seconds_bucket",
        "inference_extension_plugin_duration_seconds_bucket",
        "inference_extension_flow_control_queue_size",
        "inference_pool_average_kv_cache_utilization", "inference_pool_average_queue_size",
        "eppd_config_reload_total"}) {
    EXPECT_EQ(used.count(metric), 1u) << "no panel reads " << metric;
  }
}

std::string config(int simPort, const std::string& comment) {
  return "# " + comment + R"(
apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
featureGates: [flowControl]
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: max-score-picker
- type: concurrency-detector
  parameters: {maxConcurrency: 8}
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: queue-scorer}
  - {pluginRef: kv-cache-utilization-scorer}
  - {pluginRef: max-score-picker}
saturationDetector: {pluginRef: concurrency-detector}
scraping: {interval: 20ms}
endpoints:
- {address: 127.0.0.1, port: )" +
         std::to_string(simPort) + "}\n";
}

TEST(GrafanaDashboardTest, EveryQueriedMetricIsInEppdsMetrics) {
  fs::path dir = fs::temp_directory_path() / ("eppd-grafana-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  SimProcess sim(dir, 1);
  ASSERT_EQ(sim.ports().size(), 1u) << sim.log();
  EppdProcess eppd(config(sim.ports()[0], "first"));
  ASSERT_TRUE(eppd.started()) << eppd.error();

  // One request served (queued, scheduled, answered with token usage) and one refused.
  EnvoyClient client(eppd.extprocTarget());
  RequestSpec ok;
  ok.body = R"({"model":"sim-model","messages":[{"role":"user","content":"hello there"}]})";
  ResponseSpec answer;
  answer.headers = {{"content-type", "application/json"}};
  answer.bodyChunks = {R"({"id":"1","object":"chat.completion","choices":[],)"
                       R"("usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}})"};
  ok.response = answer;
  RequestResult served = client.process(ok);
  ASSERT_TRUE(served.routed) << served.immediateBody;
  RequestSpec bad;
  bad.body = "{not json";
  RequestResult refused = client.process(bad);
  EXPECT_EQ(refused.immediateStatus, 400);
  // One reload that publishes a new generation.
  std::ofstream(eppd.dir() / "config.yaml") << config(sim.ports()[0], "second");
  EXPECT_EQ(httpRequest(eppd.adminPort(), "POST", "/reload").status, 200);

  std::string text;
  ASSERT_TRUE(waitUntil(
      [&] {
        text = httpRequest(eppd.metricsPort(), "GET", "/metrics").body;
        return text.find("inference_objective_request_duration_seconds_count") !=
                   std::string::npos &&
               text.find("eppd_config_reload_duration_seconds_count") != std::string::npos;
      },
      std::chrono::seconds(5)))
      << text;
  std::set<std::string> exported;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    exported.insert(line.substr(0, line.find_first_of("{ ")));
  }

  json dashboard = json::parse(readFile(kDashboard));
  std::vector<std::string> queries;
  for (const auto& [title, expr] : panelQueries(dashboard)) {
    for (const auto& name : metricNames(expr)) {
      EXPECT_EQ(exported.count(name), 1u)
          << "panel \"" << title << "\" reads " << name << ", which eppd does not export";
    }
  }
  // The templating variable's query too.
  for (const auto& var : dashboard["templating"]["list"]) {
    if (var["type"] != "query") continue;
    std::smatch m;
    std::string q = var["definition"];
    ASSERT_TRUE(std::regex_search(q, m, std::regex(R"(label_values\((\w+))")));
    EXPECT_EQ(exported.count(m[1]), 1u) << q;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace epp::testing

#include "tools/bench/report/json.h"

#include <cmath>

#include "tools/bench/report/compare.h"
#include "tools/bench/report/summary.h"

namespace epp::bench {
namespace {

nlohmann::json number(double value) {
  if (std::isnan(value)) return nullptr;
  return value;
}

nlohmann::json distribution(const Distribution& d) {
  return {{"count", d.count},     {"mean", number(d.mean)}, {"p50", number(d.p50)},
          {"p90", number(d.p90)}, {"p99", number(d.p99)},   {"max", number(d.max)}};
}

nlohmann::json record(const RequestRecord& r) {
  nlohmann::json out = {
      {"index", r.index},
      {"id", r.id},
      {"status", r.status},
      {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)},
      {"detail", r.detail},
      {"endpoint", r.endpoint},
      {"start_s", r.start},
      {"ttft_s", r.ttft ? nlohmann::json(*r.ttft) : nullptr},
      {"e2e_s", r.e2e},
      {"input_tokens", r.inputTokens},
      {"output_tokens", r.outputTokens}};
  out["cached_tokens"] = r.cachedTokens ? nlohmann::json(*r.cachedTokens) : nullptr;
  if (!r.objective.empty()) out["objective"] = r.objective;
  return out;
}

}  // namespace

nlohmann::json reportJson(std::string_view workload, const std::vector<Run>& runs,
                          const ReportJsonOptions& options) {
  nlohmann::json out;
  out["workload"] = workload;
  out["baseline"] = runs.empty() ? nlohmann::json(nullptr) : nlohmann::json(runs.front().name);
  out["runs"] = nlohmann::json::array();
  std::vector<MetricValue> baseline;
  for (const Run& run : runs) {
    Summary s = summarize(run);
    std::vector<MetricValue> metrics = comparableMetrics(s);
    if (baseline.empty()) baseline = metrics;
    nlohmann::json j;
    j["name"] = s.name;
    j["mode"] = s.mode;
    j["requests"] = s.requests;
    j["ok"] = s.ok;
    j["errors"] = nlohmann::json::object();
    for (const auto& [code, count] : s.errorsByCode) j["errors"][code] = count;
    j["ttft_s"] = distribution(s.ttft);
    j["e2e_s"] = distribution(s.e2e);
    j["input_tokens"] = s.inputTokens;
    j["output_tokens"] = s.outputTokens;
    j["wall_s"] = s.wallSeconds;
    j["max_send_lag_s"] = run.maxSendLagSeconds;
    if (run.startedUnixSeconds > 0) j["started_unix_s"] = run.startedUnixSeconds;
    j["output_tokens_per_s"] = s.outputTokensPerSecond;
    j["requests_per_s"] = s.requestsPerSecond;
    j["prefix_hit_rate"] = s.prefixHitRate ? nlohmann::json(*s.prefixHitRate) : nullptr;
    j["cached_token_rate"] = s.cachedTokenRate ? nlohmann::json(*s.cachedTokenRate) : nullptr;
    if (run.prefix) {
      j["prefix_cache"] = {{"hits", run.prefix->hits}, {"queries", run.prefix->queries}};
    }
    j["endpoints"] = nlohmann::json::object();
    for (const auto& [endpoint, share] : s.endpoints) {
      j["endpoints"][endpoint] = {{"requests", share.requests}, {"share", share.share}};
    }
    if (!s.classes.empty()) {
      j["classes"] = nlohmann::json::object();
      for (const auto& [objective, c] : s.classes) {
        nlohmann::json errors = nlohmann::json::object();
        for (const auto& [code, count] : c.errorsByCode) errors[code] = count;
        j["classes"][objective] = {{"requests", c.requests},
                                   {"ok", c.ok},
                                   {"errors", errors},
                                   {"ttft_s", distribution(c.ttft)}};
      }
    }
    j["ratios"] = nlohmann::json::object();
    for (size_t m = 0; m < metrics.size(); ++m) {
      j["ratios"][std::string(metrics[m].key)] = number(ratio(metrics[m].value, baseline[m].value));
    }
    if (options.includeRecords) {
      j["records"] = nlohmann::json::array();
      for (const RequestRecord& r : run.records) j["records"].push_back(record(r));
    }
    out["runs"].push_back(std::move(j));
  }
  return out;
}

}  // namespace epp::bench

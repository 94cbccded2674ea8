#include "tools/sim/fault_options.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace epp::sim {

using json = nlohmann::json;

std::optional<MetricsFault> parseMetricsFault(std::string_view name) {
  if (name == "ok" || name == "none") return MetricsFault::kNone;
  if (name == "garbage") return MetricsFault::kGarbage;
  if (name == "error") return MetricsFault::kError;
  return std::nullopt;
}

std::string_view metricsFaultName(MetricsFault fault) {
  switch (fault) {
    case MetricsFault::kGarbage:
      return "garbage";
    case MetricsFault::kError:
      return "error";
    case MetricsFault::kNone:
      break;
  }
  return "ok";
}

namespace {

common::Result<double> number(const json& value, std::string_view key, double min, double max) {
  if (!value.is_number()) return common::Error{std::string(key) + " must be a number"};
  const double v = value.get<double>();
  if (!std::isfinite(v) || v < min || v > max) {
    return common::Error{std::string(key) + " must be in [" + json(min).dump() + ", " +
                         json(max).dump() + "], got " + value.dump()};
  }
  return v;
}

}  // namespace

common::Result<FaultUpdate> parseFaultUpdate(std::string_view body) {
  json j = json::parse(body.empty() ? std::string_view("{}") : body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return common::Error{"the body must be a JSON object, e.g. {\"errorRate\": 1}"};
  }
  FaultUpdate u;
  for (const auto& [key, value] : j.items()) {
    if (key == "errorRate") {
      auto v = number(value, key, 0, 1);
      if (!v) return common::Error{v.error()};
      u.errorRate = *v;
    } else if (key == "metricsDelayMs") {
      auto v = number(value, key, 0, 3'600'000);
      if (!v) return common::Error{v.error()};
      u.metricsDelayMs = static_cast<int64_t>(*v);
    } else if (key == "healthStatus") {
      auto v = number(value, key, 0, 599);
      if (!v) return common::Error{v.error()};
      if (*v != 0 && *v < 100) return common::Error{"healthStatus must be 0 or an HTTP status"};
      u.healthStatus = static_cast<int>(*v);
    } else if (key == "stallSeconds") {
      auto v = number(value, key, 0, 86'400);
      if (!v) return common::Error{v.error()};
      u.stallSeconds = *v;
    } else if (key == "metrics") {
      auto mode = value.is_string() ? parseMetricsFault(value.get<std::string>()) : std::nullopt;
      if (!mode) return common::Error{"metrics must be \"ok\", \"garbage\" or \"error\""};
      u.metrics = *mode;
    } else {
      return common::Error{"unknown key '" + key +
                           "' (errorRate, metrics, metricsDelayMs, healthStatus, stallSeconds)"};
    }
  }
  return u;
}

void applyFaultUpdate(const FaultUpdate& update, FaultOptions& faults) {
  faults.errorRate = update.errorRate;
  faults.metricsDelayMs = update.metricsDelayMs;
  faults.metrics = update.metrics;
  faults.healthStatus = update.healthStatus;
}

std::string faultStateJson(const FaultOptions& faults, bool stalled) {
  return json{{"errorRate", faults.errorRate},
              {"metrics", metricsFaultName(faults.metrics)},
              {"metricsDelayMs", faults.metricsDelayMs},
              {"healthStatus", faults.healthStatus},
              {"stalled", stalled}}
      .dump();
}

std::string_view garbageMetricsText() {
  // A line at a time, what a broken exporter or a proxy's error page mixes into the answer.
  static constexpr char kText[] =
      "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
      "# TYPE vllm:num_requests_waiting gauge\n"
      "vllm:num_requests_waiting{model_name=\"sim-model\" 3.0\n"
      "\x01\xff\xfe\x00garbage\x7f\n"
      "vllm:num_requests_running -7\n"
      "vllm:kv_cache_usage_perc{model_name=\"sim-model\"} 1e309\n"
      "<html><body>502 Bad Gateway</body></html>\n";
  return {kText, sizeof(kText) - 1};
}

}  // namespace epp::sim

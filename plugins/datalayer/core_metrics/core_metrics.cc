#include "plugins/datalayer/core_metrics/core_metrics.h"

namespace epp::plugins {

MetricsDataSource::MetricsDataSource(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  std::string scheme = p.getString("scheme", "http");
  if (scheme != "http" && scheme != "https") {
    throw cpp::Error(p.location("scheme") + ": scheme must be http or https, got '" + scheme + "'");
  }
  std::string path = p.getString("path", "/metrics");
  if (path.empty() || path.front() != '/') {
    throw cpp::Error(p.location("path") + ": path must start with '/', got '" + path + "'");
  }
  p.getBool("insecureSkipVerify", false);
}

CoreMetricsExtractor::CoreMetricsExtractor(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  if (p.getString("defaultEngine", "vllm").empty()) {
    throw cpp::Error(p.location("defaultEngine") + ": defaultEngine must not be empty");
  }
  if (p.getString("engineLabelKey", "inference.networking.k8s.io/engine-type").empty()) {
    throw cpp::Error(p.location("engineLabelKey") + ": engineLabelKey must not be empty");
  }
  if (p.has("engineConfigs")) {
    throw cpp::Error(p.location("engineConfigs") +
                     ": engineConfigs is not supported; list the engine's backend adapter "
                     "plugin with its metric-name parameters instead (e.g. "
                     "{type: vllm, parameters: {waitingMetric: ...}})");
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppCoreMetricsEntry, "core-metrics", "1.0.0",
                    "The reference's metrics data source and extractor types (parameters for "
                    "eppd's scraper)",
                    EPP_TYPE(epp::plugins::MetricsDataSource, "metrics-data-source",
                             "Where endpoint metrics are polled: scheme, path"),
                    EPP_TYPE(epp::plugins::CoreMetricsExtractor, "core-metrics-extractor",
                             "Which adapter reads an endpoint: engine label and default"))

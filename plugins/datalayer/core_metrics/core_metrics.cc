#include "plugins/datalayer/core_metrics/core_metrics.h"

#include <set>

#include "plugins/adapter/common/engine_config.h"
#include "plugins/adapter/common/prom_fields.h"

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
  // Each entry becomes a metric-spec-adapter for that engine (eppd builds them from this
  // plugin's parameters); validating them here puts every mistake at config time.
  std::set<std::string> names;
  for (const cpp::Params* entry : p.getMapList("engineConfigs")) {
    adapter::EngineConfig engine = adapter::readEngineConfig(*entry);
    cpp::BackendInfo paths;
    paths.metricsPath = entry->getString("metricsPath", "/metrics");
    paths.healthPath = entry->getString("healthPath", "/health");
    paths.modelsPath = entry->getString("modelsPath", "");
    adapter::checkPaths(*entry, paths);
    if (!names.insert(engine.name).second) {
      throw cpp::Error(entry->location("name") + ": engine config '" + engine.name +
                       "' is listed twice");
    }
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

#include "plugins/adapter/metric_spec/metric_spec_adapter.h"

#include <charconv>

#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {
namespace {

namespace prom = cpp::prom;

adapter::SampleFilter selectedBy(const prom::MetricSpec& spec) {
  if (spec.matchers().empty()) return {};
  return [&spec](const prom::Sample& s) { return spec.matches(s); };
}

// Shortest text that reads back as `v` ("3", "0.25").
std::string shortest(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

// The first series `spec` selects, as a count; nullopt when disabled or absent.
std::optional<int64_t> firstCount(const prom::Exposition& page, const prom::MetricSpec& spec) {
  auto series = spec.select(page);
  if (series.empty()) return std::nullopt;
  return adapter::count(*series.front());
}

}  // namespace

MetricSpecAdapter::MetricSpecAdapter(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  config_ = adapter::readEngineConfig(p);
  info_.metricsPath = p.getString("metricsPath", "/metrics");
  info_.healthPath = p.getString("healthPath", "/health");
  info_.modelsPath = p.getString("modelsPath", "");
  adapter::checkPaths(p, info_);
}

void MetricSpecAdapter::parseMetrics(std::string_view body, std::string_view contentType,
                                     cpp::MetricsOut& out) {
  prom::Exposition page = adapter::parsePage(body, contentType);
  const adapter::EngineConfig& c = config_;
  // Ranks and models add up; KV usage is their mean (as in the built-in adapters).
  if (auto v = adapter::sumOf(page, c.queued.name(), selectedBy(c.queued))) out.setWaiting(*v);
  if (auto v = adapter::sumOf(page, c.running.name(), selectedBy(c.running))) out.setRunning(*v);
  if (auto v = adapter::meanUsageOf(page, c.kvUsage.name(), selectedBy(c.kvUsage))) {
    out.setKvCacheUsage(*v);
  }
  adapter::applyLoraInfo(page, c.lora.name(), out, selectedBy(c.lora));
  if (auto slots = firstCount(page, c.loraGpuSlots)) out.setMaxLoras(*slots);
  adapter::applyCacheInfoLabels(page, c.cacheInfo.name(), c.cacheBlockSizeLabel,
                                c.cacheNumBlocksLabel, out, selectedBy(c.cacheInfo));
  if (auto v = firstCount(page, c.cacheBlockSize)) out.setCacheBlockSize(*v);
  if (auto v = firstCount(page, c.cacheNumBlocks)) out.setCacheNumBlocks(*v);
  for (const adapter::CustomMetric& m : c.customMetrics) {
    auto series = m.spec.select(page);
    if (series.empty()) {
      if (m.optional) continue;
      throw cpp::Error("custom metric '" + m.attributeKey + "': " + m.spec.str() +
                       " is not on the page (set optional: true if it may be absent)");
    }
    out.setLabel(m.attributeKey, shortest(series.front()->value));
  }
}

epp_health MetricSpecAdapter::checkHealth(int32_t httpStatus, std::string_view) {
  return httpStatus >= 200 && httpStatus < 300 ? EPP_HEALTH_HEALTHY : EPP_HEALTH_UNHEALTHY;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppMetricSpecAdapterEntry, "metric-spec-adapter", "1.0.0",
                    "Backend adapter configured by metric specs (the reference's engineConfigs)",
                    EPP_TYPE(epp::plugins::MetricSpecAdapter, "metric-spec-adapter",
                             "Reads /metrics by PromQL-style metric specs given as parameters"))

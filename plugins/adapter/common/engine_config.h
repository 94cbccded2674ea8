#pragma once

// One entry of the reference's `engineConfigs` (a core-metrics-extractor parameter): the
// metric specs that turn an engine's /metrics page into endpoint fields. Read by the
// metric-spec adapter, which applies it, and by core-metrics-extractor, which validates
// every entry when the config loads. Header-only: both plugins are their own .so.

#include <string>
#include <vector>

#include "epp/cpp/metric_spec.h"
#include "epp/cpp/plugin.h"

namespace epp::plugins::adapter {

struct CustomMetric {
  std::string attributeKey;  // the endpoint label the value is shown under
  cpp::prom::MetricSpec spec;
  bool optional = false;  // absent from a page: skipped instead of failing the scrape
};

struct EngineConfig {
  std::string name;
  cpp::prom::MetricSpec queued, running, kvUsage, lora, loraGpuSlots, cacheInfo;
  cpp::prom::MetricSpec cacheBlockSize, cacheNumBlocks;
  std::string cacheBlockSizeLabel = "block_size";
  std::string cacheNumBlocksLabel = "num_gpu_blocks";
  std::vector<CustomMetric> customMetrics;
};

// Reads one engineConfigs entry (its keys are the reference's) from `p`; throws cpp::Error
// naming file:line:col of a bad spec. The caller calls p.finish() for unknown keys.
inline EngineConfig readEngineConfig(const cpp::Params& p) {
  EngineConfig c;
  c.name = p.getString("name", "");
  if (c.name.empty()) throw cpp::Error(p.location("name") + ": engine config name is required");
  if (c.name == "default" || c.name == "auto") {
    throw cpp::Error(p.location("name") + ": engine config name '" + c.name + "' is reserved");
  }
  auto spec = [&](const char* key, cpp::prom::MetricSpec& out) {
    try {
      out = cpp::prom::MetricSpec::parse(p.getString(key, ""));
    } catch (const cpp::prom::SpecError& e) {
      throw cpp::Error(p.location(key) + ": " + key + ": " + e.what());
    }
  };
  spec("queuedRequestsSpec", c.queued);
  spec("runningRequestsSpec", c.running);
  spec("kvUsageSpec", c.kvUsage);
  spec("loraSpec", c.lora);
  spec("loraGPUSlotsSpec", c.loraGpuSlots);
  spec("cacheInfoSpec", c.cacheInfo);
  spec("cacheBlockSizeSpec", c.cacheBlockSize);
  spec("cacheNumBlocksSpec", c.cacheNumBlocks);
  // Per-adapter residency families: accepted so reference configs load; eppd's endpoint
  // state has running and waiting adapters (from loraSpec), not residency levels.
  cpp::prom::MetricSpec ignored;
  spec("loraLoadedSpec", ignored);
  spec("loraGPULoadedSpec", ignored);
  std::string blockLabel = p.getString("cacheBlockSizeLabelName", "");
  std::string blocksLabel = p.getString("cacheNumBlocksLabelName", "");
  if (!blockLabel.empty()) c.cacheBlockSizeLabel = blockLabel;
  if (!blocksLabel.empty()) c.cacheNumBlocksLabel = blocksLabel;
  for (const cpp::Params* m : p.getMapList("customMetrics")) {
    CustomMetric custom;
    custom.attributeKey = m->getString("attributeKey", "");
    if (custom.attributeKey.empty()) {
      throw cpp::Error(m->location() + ": customMetrics entry needs an attributeKey");
    }
    try {
      custom.spec = cpp::prom::MetricSpec::parse(m->getString("metricSpec", ""));
    } catch (const cpp::prom::SpecError& e) {
      throw cpp::Error(m->location("metricSpec") + ": " + e.what());
    }
    if (!custom.spec.enabled()) {
      throw cpp::Error(m->location() + ": customMetrics entry '" + custom.attributeKey +
                       "' needs a metricSpec");
    }
    custom.optional = m->getBool("optional", false);
    c.customMetrics.push_back(std::move(custom));
  }
  return c;
}

}  // namespace epp::plugins::adapter

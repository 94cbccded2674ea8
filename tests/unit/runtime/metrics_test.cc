// eppd's request-path metrics: the per-plugin duration series and the cache in front of
// them, which must stay bounded while reloads create and destroy instances without end.
#include "host/runtime/metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "host/common/metrics_registry.h"
#include "host/loader/plugin_registry.h"

namespace epp::runtime {
namespace {

// sample_count of one series of the plugin duration histogram, or -1 when absent.
double pluginObservations(const std::string& type, const std::string& name) {
  for (const auto& family : common::metricsRegistry().Collect()) {
    if (family.name != "inference_extension_plugin_duration_seconds") continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (labels == std::map<std::string, std::string>{{"extension_point", "picker"},
                                                       {"plugin_type", type},
                                                       {"plugin_name", name}}) {
        return static_cast<double>(m.histogram.sample_count);
      }
    }
  }
  return -1;
}

TEST(RuntimeMetrics, PluginSeriesCacheGrowsWithSeriesNotWithInstances) {
  loader::PluginRegistry registry(
      {.cache_dir = std::filesystem::temp_directory_path() / "eppd-metrics-test", .host_abi = {}});
  ASSERT_TRUE(registry.scan({EPP_BUILTIN_PLUGIN_DIR}));
  const auto* type = registry.find("max-score-picker");
  ASSERT_NE(type, nullptr);
  Metrics& metrics = Metrics::get();
  const size_t before = metrics.pluginSeriesCachedForTest();
  // What 100 reloads do to a re-created picker: a new instance each time, same name. All
  // kept alive, so each has its own address.
  std::vector<std::shared_ptr<loader::PluginInstance>> generations;
  for (int i = 0; i < 100; ++i) {
    auto instance = loader::PluginInstance::create(*type, "metrics-test-picker");
    ASSERT_TRUE(instance) << instance.error();
    metrics.pluginDuration(**instance, "picker", 0.001);
    generations.push_back(*instance);
  }
  EXPECT_EQ(metrics.pluginSeriesCachedForTest(), before + 1);
  EXPECT_EQ(pluginObservations("max-score-picker", "metrics-test-picker"), 100);
  generations.clear();

  // Another name is another series, as in /metrics.
  auto other = loader::PluginInstance::create(*type, "metrics-test-other");
  ASSERT_TRUE(other) << other.error();
  metrics.pluginDuration(**other, "picker", 0.001);
  EXPECT_EQ(metrics.pluginSeriesCachedForTest(), before + 2);
  EXPECT_EQ(pluginObservations("max-score-picker", "metrics-test-other"), 1);
}

}  // namespace
}  // namespace epp::runtime

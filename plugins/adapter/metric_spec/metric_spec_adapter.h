#pragma once

#include "epp/cpp/plugin.h"
#include "plugins/adapter/common/engine_config.h"

namespace epp::plugins {

// metric-spec-adapter: a backend adapter driven entirely by its parameters, one entry of the
// reference's `engineConfigs` (metric specs such as `custom_queue{status=waiting}`). eppd
// creates one per engineConfigs entry of core-metrics-extractor, so an engine eppd has no
// adapter for, or a built-in engine with renamed metrics, needs a config edit, not a plugin.
class MetricSpecAdapter : public cpp::Plugin, public cpp::BackendAdapter {
 public:
  explicit MetricSpecAdapter(const cpp::CreateContext& ctx);
  const cpp::BackendInfo& info() const override { return info_; }
  void parseMetrics(std::string_view body, std::string_view contentType,
                    cpp::MetricsOut& out) override;
  epp_health checkHealth(int32_t httpStatus, std::string_view body) override;

 private:
  cpp::BackendInfo info_;
  adapter::EngineConfig config_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppMetricSpecAdapterEntry(const epp_entry_args* args);

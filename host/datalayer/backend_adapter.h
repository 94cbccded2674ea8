// File: host/datalayer/backend_adapter.h
//
// The host side of one backend adapter plugin instance: where an engine's endpoints are
// polled, and its parse_metrics / check_health calls with the LoRA lists and labels the
// plugin reports through the host's sink callbacks collected into plain data.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "epp/abi.h"
#include "host/common/result.h"
#include "host/loader/plugin_instance.h"

namespace epp::datalayer {

// One parsed /metrics response.
struct ParsedMetrics {
  epp_endpoint_metrics numbers{};  // `present` says which fields are set
  std::vector<std::string> activeLoras;
  std::vector<std::string> waitingLoras;
  std::map<std::string, std::string> labels;
  bool hasLoraInfo() const {
    return (numbers.present & (EPP_METRICS_HAS_LORAS | EPP_METRICS_HAS_MAX_LORAS)) != 0;
  }
};

class BackendAdapter {
 public:
  // `instance` must be of kind EPP_KIND_BACKEND_ADAPTER. Its info() is read once here.
  static common::Result<std::shared_ptr<const BackendAdapter>> create(
      std::shared_ptr<loader::PluginInstance> instance);
  // An engine of the config's engineConfigs: `metrics` (a metric-spec-adapter) reads its
  // /metrics; health, detection and the health and models paths come from `builtIn` when
  // the entry replaces a built-in engine's metric names, else from `metrics` too.
  static common::Result<std::shared_ptr<const BackendAdapter>> forEngineConfig(
      std::string engine, std::shared_ptr<loader::PluginInstance> metrics,
      const std::shared_ptr<const BackendAdapter>& builtIn);

  const std::string& engine() const { return engine_; }
  const std::string& instanceName() const { return instance_->name(); }
  const std::string& metricsPath() const { return metricsPath_; }
  const std::string& healthPath() const { return healthPath_; }  // empty: no probe
  const std::string& modelsPath() const { return modelsPath_; }

  // The adapter's error message on malformed input (or a plugin failure).
  common::Result<ParsedMetrics> parse(std::string_view body, std::string_view contentType) const;
  epp_health health(int httpStatus, std::string_view body) const;
  // Whether a /v1/models body shows this engine; nullopt when the adapter cannot tell
  // (it has no detect hook, or the hook failed).
  std::optional<bool> detect(std::string_view modelsBody) const;

 private:
  explicit BackendAdapter(std::shared_ptr<loader::PluginInstance> instance)
      : engine_(instance->typeName()), instance_(instance), metricsInstance_(std::move(instance)) {}
  std::string engine_;
  std::shared_ptr<loader::PluginInstance> instance_;         // health and detection
  std::shared_ptr<loader::PluginInstance> metricsInstance_;  // parse_metrics
  std::string metricsPath_, healthPath_, modelsPath_;
};

using BackendAdapterPtr = std::shared_ptr<const BackendAdapter>;

}  // namespace epp::datalayer

#pragma once

#include <string>

#include "epp/cpp/plugin.h"
#include "epp/cpp/prometheus_text.h"
#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

// vllm: the backend adapter of vLLM (and of vLLM-compatible servers such as
// llm-d-inference-sim). Reads the queue, running batch, KV-cache usage (the V1 name, else
// the V0 one), LoRA state (vllm:lora_requests_info: the series with the newest timestamp
// value wins) and the cache geometry (vllm:cache_config_info labels). Every metric name is
// a parameter; an empty name disables that field, as the reference's engineConfigs does.
class VllmAdapter : public cpp::Plugin, public cpp::BackendAdapter, public cpp::BackendDetection {
 public:
  explicit VllmAdapter(const cpp::CreateContext& ctx);
  const cpp::BackendInfo& info() const override { return info_; }
  void parseMetrics(std::string_view body, std::string_view contentType,
                    cpp::MetricsOut& out) override;
  epp_health checkHealth(int32_t httpStatus, std::string_view body) override;
  bool detect(std::string_view modelsBody) override;

 private:
  cpp::BackendInfo info_;
  std::string waiting_;
  std::string running_;
  std::vector<std::string> kvUsage_;  // first present name wins
  std::string loraInfo_;
  std::string cacheInfo_;
  std::vector<std::string> ownedBy_;
  adapter::MetricNames read_;  // every name above: the only samples parsed
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppVllmAdapterEntry(const epp_entry_args* args);

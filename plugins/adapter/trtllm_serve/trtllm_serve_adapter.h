#pragma once

#include <string>

#include "epp/cpp/plugin.h"
#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

// trtllm-serve: the backend adapter of TensorRT-LLM's OpenAI server. Its /metrics answers
// JSON iteration stats; the Prometheus page lives at /prometheus/metrics. Reads the queue,
// running batch, KV-cache utilization and the cache geometry (tokens per block, max
// blocks). Every metric name is a parameter; an empty name disables that field.
class TrtllmServeAdapter : public cpp::Plugin, public cpp::BackendAdapter {
 public:
  explicit TrtllmServeAdapter(const cpp::CreateContext& ctx);
  const cpp::BackendInfo& info() const override { return info_; }
  void parseMetrics(std::string_view body, std::string_view contentType,
                    cpp::MetricsOut& out) override;
  epp_health checkHealth(int32_t httpStatus, std::string_view body) override;

 private:
  adapter::MetricNames read_;  // the names below: the only samples parsed
  cpp::BackendInfo info_;
  std::string waiting_;
  std::string running_;
  std::string kvUsage_;
  std::string tokensPerBlock_;
  std::string maxBlocks_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppTrtllmServeAdapterEntry(const epp_entry_args* args);

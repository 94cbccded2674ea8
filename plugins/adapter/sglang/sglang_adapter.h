#pragma once

#include <string>
#include <vector>

#include "epp/cpp/plugin.h"
#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

// sglang: the backend adapter of SGLang. Reads the queue (sglang:num_queue_reqs), the
// running batch (sglang:num_running_reqs), KV-cache usage (sglang:token_usage) and the
// cache geometry (sglang:cache_config_info labels page_size, num_pages). Every metric name
// is a parameter; an empty name disables that field.
class SglangAdapter : public cpp::Plugin, public cpp::BackendAdapter, public cpp::BackendDetection {
 public:
  explicit SglangAdapter(const cpp::CreateContext& ctx);
  const cpp::BackendInfo& info() const override { return info_; }
  void parseMetrics(std::string_view body, std::string_view contentType,
                    cpp::MetricsOut& out) override;
  epp_health checkHealth(int32_t httpStatus, std::string_view body) override;
  bool detect(std::string_view modelsBody) override;

 private:
  adapter::MetricNames read_;  // the names below: the only samples parsed
  cpp::BackendInfo info_;
  std::string waiting_;
  std::string running_;
  std::string kvUsage_;
  std::string cacheInfo_;
  std::vector<std::string> ownedBy_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppSglangAdapterEntry(const epp_entry_args* args);

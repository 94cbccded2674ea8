#pragma once

#include <string>

#include "epp/cpp/plugin.h"
#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

// tgi: the backend adapter of Hugging Face Text Generation Inference. Reads the queue
// (tgi_queue_size) and the running batch (tgi_batch_current_size); TGI exposes no
// KV-cache usage gauge. Every metric name is a parameter; an empty name disables that field.
class TgiAdapter : public cpp::Plugin, public cpp::BackendAdapter {
 public:
  explicit TgiAdapter(const cpp::CreateContext& ctx);
  const cpp::BackendInfo& info() const override { return info_; }
  void parseMetrics(std::string_view body, std::string_view contentType,
                    cpp::MetricsOut& out) override;
  epp_health checkHealth(int32_t httpStatus, std::string_view body) override;

 private:
  adapter::MetricNames read_;  // the names below: the only samples parsed
  cpp::BackendInfo info_;
  std::string waiting_;
  std::string running_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppTgiAdapterEntry(const epp_entry_args* args);

#pragma once

#include <string>

#include "epp/cpp/plugin.h"
#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

// llamacpp: the backend adapter of llama.cpp's llama-server (started with --metrics).
// Reads the deferred queue, the requests being processed and, on builds that still
// expose it, the KV-cache usage ratio. Every metric name is a parameter; an empty name
// disables that field. /health answers 503 while the model loads: not ready, not broken.
class LlamacppAdapter : public cpp::Plugin, public cpp::BackendAdapter {
 public:
  explicit LlamacppAdapter(const cpp::CreateContext& ctx);
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
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLlamacppAdapterEntry(const epp_entry_args* args);

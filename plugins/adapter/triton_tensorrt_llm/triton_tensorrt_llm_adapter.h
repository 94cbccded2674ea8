#pragma once

#include <string>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// triton-tensorrt-llm: the backend adapter of Triton Inference Server running the
// TensorRT-LLM backend. Its numbers are two metric families told apart by a label:
// nv_trt_llm_request_metrics{request_type=...} and
// nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=...}. The family names and the
// label values are parameters; an empty value disables that field.
class TritonTensorrtLlmAdapter : public cpp::Plugin, public cpp::BackendAdapter {
 public:
  explicit TritonTensorrtLlmAdapter(const cpp::CreateContext& ctx);
  const cpp::BackendInfo& info() const override { return info_; }
  void parseMetrics(std::string_view body, std::string_view contentType,
                    cpp::MetricsOut& out) override;
  epp_health checkHealth(int32_t httpStatus, std::string_view body) override;

 private:
  cpp::BackendInfo info_;
  std::string requestMetric_;
  std::string waitingType_;
  std::string runningType_;
  std::string kvMetric_;
  std::string usageType_;
  std::string blockSizeType_;
  std::string numBlocksType_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppTritonTensorrtLlmAdapterEntry(const epp_entry_args* args);

#include "plugins/adapter/triton_tensorrt_llm/triton_tensorrt_llm_adapter.h"

#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {
namespace {

constexpr std::string_view kRequestType = "request_type";
constexpr std::string_view kBlockType = "kv_cache_block_type";

// Keeps the series of `family` whose `label` is `value`; an empty family or value
// disables the field (the empty name makes sumOf/meanUsageOf answer nullopt).
adapter::SampleFilter labelIs(std::string_view label, const std::string& value) {
  return [label, value](const adapter::prom::Sample& s) { return s.label(label) == value; };
}

const std::string& enabled(const std::string& family, const std::string& value) {
  static const std::string kNone;
  return value.empty() ? kNone : family;
}

}  // namespace

TritonTensorrtLlmAdapter::TritonTensorrtLlmAdapter(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  info_.metricsPath = p.getString("metricsPath", "/metrics");
  info_.healthPath = p.getString("healthPath", "/v2/health/ready");
  // Triton has no OpenAI model list.
  info_.modelsPath = p.getString("modelsPath", "");
  adapter::checkPaths(p, info_);
  requestMetric_ = p.getString("requestMetric", "nv_trt_llm_request_metrics");
  waitingType_ = p.getString("waitingRequestType", "waiting");
  runningType_ = p.getString("runningRequestType", "scheduled");
  kvMetric_ = p.getString("kvCacheBlockMetric", "nv_trt_llm_kv_cache_block_metrics");
  usageType_ = p.getString("usageBlockType", "fraction");
  blockSizeType_ = p.getString("blockSizeBlockType", "tokens_per");
  numBlocksType_ = p.getString("numBlocksBlockType", "max");
}

void TritonTensorrtLlmAdapter::parseMetrics(std::string_view body, std::string_view contentType,
                                            cpp::MetricsOut& out) {
  adapter::prom::Exposition page = adapter::parsePage(body, contentType);
  // One Triton may serve several TensorRT-LLM models (label "model"): queues add up,
  // usage is the mean, the geometry is the first model's.
  if (auto v = adapter::sumOf(page, enabled(requestMetric_, waitingType_),
                              labelIs(kRequestType, waitingType_))) {
    out.setWaiting(*v);
  }
  if (auto v = adapter::sumOf(page, enabled(requestMetric_, runningType_),
                              labelIs(kRequestType, runningType_))) {
    out.setRunning(*v);
  }
  if (auto v = adapter::meanUsageOf(page, enabled(kvMetric_, usageType_),
                                    labelIs(kBlockType, usageType_))) {
    out.setKvCacheUsage(*v);
  }
  auto firstCount = [&](const std::string& type) -> std::optional<int64_t> {
    if (kvMetric_.empty() || type.empty()) return std::nullopt;
    for (const auto* s : page.samples(kvMetric_)) {
      if (s->label(kBlockType) == type) return adapter::count(*s);
    }
    return std::nullopt;
  };
  if (auto v = firstCount(blockSizeType_)) out.setCacheBlockSize(*v);
  if (auto v = firstCount(numBlocksType_)) out.setCacheNumBlocks(*v);
  adapter::copyLabel(page, requestMetric_.empty() ? kvMetric_ : requestMetric_, "model", out);
}

epp_health TritonTensorrtLlmAdapter::checkHealth(int32_t httpStatus, std::string_view) {
  // /v2/health/ready answers 200 once every model is loaded and ready.
  return httpStatus >= 200 && httpStatus < 300 ? EPP_HEALTH_HEALTHY : EPP_HEALTH_UNHEALTHY;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppTritonTensorrtLlmAdapterEntry, "triton-tensorrt-llm-adapter", "1.0.0",
                    "Backend protocol adapter for Triton with the TensorRT-LLM backend",
                    EPP_TYPE(epp::plugins::TritonTensorrtLlmAdapter, "triton-tensorrt-llm",
                             "Triton nv_trt_llm_* metrics and /v2/health/ready"))

#include "plugins/adapter/vllm/vllm_adapter.h"

#include "plugins/adapter/common/models_owner.h"
#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

namespace prom = cpp::prom;

VllmAdapter::VllmAdapter(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  info_.metricsPath = p.getString("metricsPath", "/metrics");
  info_.healthPath = p.getString("healthPath", "/health");
  info_.modelsPath = p.getString("modelsPath", "/v1/models");
  adapter::checkPaths(p, info_);
  waiting_ = p.getString("waitingMetric", "vllm:num_requests_waiting");
  running_ = p.getString("runningMetric", "vllm:num_requests_running");
  kvUsage_ = p.getStringList("kvCacheUsageMetrics",
                             {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"});
  loraInfo_ = p.getString("loraInfoMetric", "vllm:lora_requests_info");
  cacheInfo_ = p.getString("cacheConfigMetric", "vllm:cache_config_info");
  ownedBy_ = p.getStringList("ownedBy", {"vllm"});
  read_ = {waiting_, running_, loraInfo_, cacheInfo_};
  read_.add(kvUsage_);
}

void VllmAdapter::parseMetrics(std::string_view body, std::string_view contentType,
                               cpp::MetricsOut& out) {
  prom::Exposition page = adapter::parsePage(body, contentType, &read_);

  // One server may expose several engines (data-parallel ranks, label "engine") or models:
  // queues and batches add up, KV usage is their mean.
  if (auto v = adapter::sumOf(page, waiting_)) out.setWaiting(*v);
  if (auto v = adapter::sumOf(page, running_)) out.setRunning(*v);
  adapter::copyLabel(page, waiting_.empty() ? running_ : waiting_, "model_name", out);

  for (const auto& name : kvUsage_) {
    if (auto v = adapter::meanUsageOf(page, name)) {
      out.setKvCacheUsage(*v);
      break;
    }
  }

  adapter::applyLoraInfo(page, loraInfo_, out);
  adapter::applyCacheInfoLabels(page, cacheInfo_, "block_size", "num_gpu_blocks", out);
}

epp_health VllmAdapter::checkHealth(int32_t httpStatus, std::string_view) {
  // vLLM answers /health with 200 once its engine runs; anything else means it cannot serve.
  return httpStatus >= 200 && httpStatus < 300 ? EPP_HEALTH_HEALTHY : EPP_HEALTH_UNHEALTHY;
}

bool VllmAdapter::detect(std::string_view modelsBody) {
  return adapter::modelsOwnedBy(modelsBody, ownedBy_);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppVllmAdapterEntry, "vllm-adapter", "1.0.0",
                    "Backend protocol adapter for vLLM and vLLM-compatible servers",
                    EPP_TYPE(epp::plugins::VllmAdapter, "vllm",
                             "vLLM /metrics (V0 and V1 names), /health and /v1/models"))

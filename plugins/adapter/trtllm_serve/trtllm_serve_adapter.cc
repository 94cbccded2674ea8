#include "plugins/adapter/trtllm_serve/trtllm_serve_adapter.h"

#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

TrtllmServeAdapter::TrtllmServeAdapter(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  info_.metricsPath = p.getString("metricsPath", "/prometheus/metrics");
  info_.healthPath = p.getString("healthPath", "/health");
  info_.modelsPath = p.getString("modelsPath", "/v1/models");
  adapter::checkPaths(p, info_);
  waiting_ = p.getString("waitingMetric", "trtllm_num_requests_waiting");
  running_ = p.getString("runningMetric", "trtllm_num_requests_running");
  kvUsage_ = p.getString("kvCacheUsageMetric", "trtllm_kv_cache_utilization");
  tokensPerBlock_ = p.getString("blockSizeMetric", "trtllm_kv_cache_tokens_per_block");
  maxBlocks_ = p.getString("numBlocksMetric", "trtllm_kv_cache_max_blocks");
  read_ = {waiting_, running_, kvUsage_, tokensPerBlock_, maxBlocks_};
}

void TrtllmServeAdapter::parseMetrics(std::string_view body, std::string_view contentType,
                                      cpp::MetricsOut& out) {
  adapter::prom::Exposition page = adapter::parsePage(body, contentType, &read_);
  if (auto v = adapter::sumOf(page, waiting_)) out.setWaiting(*v);
  if (auto v = adapter::sumOf(page, running_)) out.setRunning(*v);
  if (auto v = adapter::meanUsageOf(page, kvUsage_)) out.setKvCacheUsage(*v);
  // The geometry is per engine, not additive across its series: the first one describes it.
  if (!tokensPerBlock_.empty()) {
    if (const auto* s = page.first(tokensPerBlock_)) out.setCacheBlockSize(adapter::count(*s));
  }
  if (!maxBlocks_.empty()) {
    if (const auto* s = page.first(maxBlocks_)) out.setCacheNumBlocks(adapter::count(*s));
  }
  adapter::copyLabel(page, kvUsage_, "model_name", out);
}

epp_health TrtllmServeAdapter::checkHealth(int32_t httpStatus, std::string_view) {
  return httpStatus >= 200 && httpStatus < 300 ? EPP_HEALTH_HEALTHY : EPP_HEALTH_UNHEALTHY;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppTrtllmServeAdapterEntry, "trtllm-serve-adapter", "1.0.0",
                    "Backend protocol adapter for TensorRT-LLM's trtllm-serve",
                    EPP_TYPE(epp::plugins::TrtllmServeAdapter, "trtllm-serve",
                             "trtllm-serve /prometheus/metrics and /health"))

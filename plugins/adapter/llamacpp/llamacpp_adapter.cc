#include "plugins/adapter/llamacpp/llamacpp_adapter.h"

#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

LlamacppAdapter::LlamacppAdapter(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  info_.metricsPath = p.getString("metricsPath", "/metrics");
  info_.healthPath = p.getString("healthPath", "/health");
  info_.modelsPath = p.getString("modelsPath", "/v1/models");
  adapter::checkPaths(p, info_);
  waiting_ = p.getString("waitingMetric", "llamacpp:requests_deferred");
  running_ = p.getString("runningMetric", "llamacpp:requests_processing");
  kvUsage_ = p.getString("kvCacheUsageMetric", "llamacpp:kv_cache_usage_ratio");
  read_ = {waiting_, running_, kvUsage_};
}

void LlamacppAdapter::parseMetrics(std::string_view body, std::string_view contentType,
                                   cpp::MetricsOut& out) {
  adapter::prom::Exposition page = adapter::parsePage(body, contentType, &read_);
  if (auto v = adapter::sumOf(page, waiting_)) out.setWaiting(*v);
  if (auto v = adapter::sumOf(page, running_)) out.setRunning(*v);
  if (auto v = adapter::meanUsageOf(page, kvUsage_)) out.setKvCacheUsage(*v);
}

epp_health LlamacppAdapter::checkHealth(int32_t httpStatus, std::string_view) {
  if (httpStatus >= 200 && httpStatus < 300) return EPP_HEALTH_HEALTHY;
  // llama-server answers 503 {"error":{"message":"Loading model",...}} until the model is
  // loaded: the server is coming up, so eppd should wait rather than count a failure.
  if (httpStatus == 503) return EPP_HEALTH_NOT_READY;
  return EPP_HEALTH_UNHEALTHY;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppLlamacppAdapterEntry, "llamacpp-adapter", "1.0.0",
                    "Backend protocol adapter for llama.cpp's llama-server",
                    EPP_TYPE(epp::plugins::LlamacppAdapter, "llamacpp",
                             "llama-server /metrics (--metrics) and /health"))

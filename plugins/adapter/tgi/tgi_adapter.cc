#include "plugins/adapter/tgi/tgi_adapter.h"

#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

TgiAdapter::TgiAdapter(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  info_.metricsPath = p.getString("metricsPath", "/metrics");
  info_.healthPath = p.getString("healthPath", "/health");
  info_.modelsPath = p.getString("modelsPath", "/v1/models");
  adapter::checkPaths(p, info_);
  waiting_ = p.getString("waitingMetric", "tgi_queue_size");
  running_ = p.getString("runningMetric", "tgi_batch_current_size");
  read_ = {waiting_, running_};
}

void TgiAdapter::parseMetrics(std::string_view body, std::string_view contentType,
                              cpp::MetricsOut& out) {
  adapter::prom::Exposition page = adapter::parsePage(body, contentType, &read_);
  if (auto v = adapter::sumOf(page, waiting_)) out.setWaiting(*v);
  if (auto v = adapter::sumOf(page, running_)) out.setRunning(*v);
}

epp_health TgiAdapter::checkHealth(int32_t httpStatus, std::string_view) {
  // TGI's /health runs a one-token generation through the shards: 200 means they answer,
  // 503 means they do not.
  return httpStatus >= 200 && httpStatus < 300 ? EPP_HEALTH_HEALTHY : EPP_HEALTH_UNHEALTHY;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppTgiAdapterEntry, "tgi-adapter", "1.0.0",
                    "Backend protocol adapter for Hugging Face Text Generation Inference",
                    EPP_TYPE(epp::plugins::TgiAdapter, "tgi", "TGI /metrics and /health"))

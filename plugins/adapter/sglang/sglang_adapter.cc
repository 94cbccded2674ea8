#include "plugins/adapter/sglang/sglang_adapter.h"

#include "plugins/adapter/common/models_owner.h"
#include "plugins/adapter/common/prom_fields.h"

namespace epp::plugins {

SglangAdapter::SglangAdapter(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  info_.metricsPath = p.getString("metricsPath", "/metrics");
  info_.healthPath = p.getString("healthPath", "/health");
  info_.modelsPath = p.getString("modelsPath", "/v1/models");
  adapter::checkPaths(p, info_);
  waiting_ = p.getString("waitingMetric", "sglang:num_queue_reqs");
  running_ = p.getString("runningMetric", "sglang:num_running_reqs");
  kvUsage_ = p.getString("kvCacheUsageMetric", "sglang:token_usage");
  cacheInfo_ = p.getString("cacheConfigMetric", "sglang:cache_config_info");
  ownedBy_ = p.getStringList("ownedBy", {"sglang"});
  read_ = {waiting_, running_, kvUsage_, cacheInfo_};
}

void SglangAdapter::parseMetrics(std::string_view body, std::string_view contentType,
                                 cpp::MetricsOut& out) {
  adapter::prom::Exposition page = adapter::parsePage(body, contentType, &read_);
  // Series carry tp_rank/pp_rank/moe_ep_rank labels: queues add up, usage is the mean.
  if (auto v = adapter::sumOf(page, waiting_)) out.setWaiting(*v);
  if (auto v = adapter::sumOf(page, running_)) out.setRunning(*v);
  if (auto v = adapter::meanUsageOf(page, kvUsage_)) out.setKvCacheUsage(*v);
  adapter::copyLabel(page, waiting_.empty() ? running_ : waiting_, "model_name", out);

  // SGLang's page is a block: page_size tokens each, num_pages of them.
  if (!cacheInfo_.empty()) {
    for (const auto* s : page.samples(cacheInfo_)) {
      auto pageSize = adapter::intLabel(*s, "page_size");
      auto pages = adapter::intLabel(*s, "num_pages");
      for (auto [label, v] : {std::pair{"page_size", pageSize}, {"num_pages", pages}}) {
        if (!v && s->findLabel(label)) {
          throw cpp::Error(adapter::where(*s) + ": " + label + " '" + std::string(s->label(label)) +
                           "' is not an integer");
        }
      }
      if (pageSize) out.setCacheBlockSize(*pageSize);
      if (pages) out.setCacheNumBlocks(*pages);
      if (pageSize || pages) break;
    }
  }
}

epp_health SglangAdapter::checkHealth(int32_t httpStatus, std::string_view) {
  // SGLang answers /health with 200 when its scheduler responds, 503 otherwise.
  return httpStatus >= 200 && httpStatus < 300 ? EPP_HEALTH_HEALTHY : EPP_HEALTH_UNHEALTHY;
}

bool SglangAdapter::detect(std::string_view modelsBody) {
  return adapter::modelsOwnedBy(modelsBody, ownedBy_);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppSglangAdapterEntry, "sglang-adapter", "1.0.0",
                    "Backend protocol adapter for SGLang",
                    EPP_TYPE(epp::plugins::SglangAdapter, "sglang",
                             "SGLang /metrics, /health and /v1/models"))

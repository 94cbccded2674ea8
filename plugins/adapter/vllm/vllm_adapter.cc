#include "plugins/adapter/vllm/vllm_adapter.h"

#include <charconv>
#include <cmath>

#include "plugins/adapter/common/models_owner.h"

namespace epp::plugins {
namespace {

namespace prom = cpp::prom;

// A label value that must be a whole number ("16", "74272"); vLLM writes "None" for
// unset values, which counts as absent.
std::optional<int64_t> intLabel(const prom::Sample& s, std::string_view label) {
  std::string_view text = s.label(label);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string where(const prom::Sample& s) {
  return s.name + " (line " + std::to_string(s.line) + ")";
}

// A count (queue, batch) must be a finite, non-negative number.
int64_t count(const prom::Sample& s) {
  if (!std::isfinite(s.value) || s.value < 0) {
    throw cpp::Error(where(s) + ": " + std::to_string(s.value) + " is not a request count");
  }
  return std::llround(s.value);
}

}  // namespace

VllmAdapter::VllmAdapter(const cpp::CreateContext& ctx) : Plugin(ctx) {
  const cpp::Params& p = ctx.params();
  info_.metricsPath = p.getString("metricsPath", "/metrics");
  info_.healthPath = p.getString("healthPath", "/health");
  info_.modelsPath = p.getString("modelsPath", "/v1/models");
  for (auto [key, v] :
       {std::pair<const char*, const std::string*>{"metricsPath", &info_.metricsPath},
        {"healthPath", &info_.healthPath},
        {"modelsPath", &info_.modelsPath}}) {
    // Empty means "not supported" (no health probe, say).
    if (!v->empty() && v->front() != '/') {
      throw cpp::Error(p.location(key) + ": " + key + " must start with '/', got '" + *v + "'");
    }
  }
  waiting_ = p.getString("waitingMetric", "vllm:num_requests_waiting");
  running_ = p.getString("runningMetric", "vllm:num_requests_running");
  kvUsage_ = p.getStringList("kvCacheUsageMetrics",
                             {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"});
  loraInfo_ = p.getString("loraInfoMetric", "vllm:lora_requests_info");
  cacheInfo_ = p.getString("cacheConfigMetric", "vllm:cache_config_info");
  ownedBy_ = p.getStringList("ownedBy", {"vllm"});
}

void VllmAdapter::parseMetrics(std::string_view body, std::string_view contentType,
                               cpp::MetricsOut& out) {
  if (std::string why = prom::checkContentType(contentType); !why.empty()) throw cpp::Error(why);
  prom::Exposition page;
  try {
    page = prom::parse(body);
  } catch (const prom::ParseError& e) {
    throw cpp::Error(e.what());
  }

  // One server may expose several engines (data-parallel ranks, label "engine") or models:
  // queues and batches add up, KV usage is their mean.
  auto sumOf = [&](const std::string& name) -> std::optional<int64_t> {
    if (name.empty() || !page.has(name)) return std::nullopt;
    int64_t total = 0;
    for (const auto* s : page.samples(name)) total += count(*s);
    return total;
  };
  if (auto v = sumOf(waiting_)) out.setWaiting(*v);
  if (auto v = sumOf(running_)) out.setRunning(*v);
  if (const prom::Sample* first = page.first(waiting_.empty() ? running_ : waiting_)) {
    if (auto model = first->findLabel("model_name")) out.setLabel("model_name", *model);
  }

  for (const auto& name : kvUsage_) {
    auto series = page.samples(name);
    if (series.empty()) continue;
    double sum = 0;
    for (const auto* s : series) {
      if (!(s->value >= 0 && s->value <= 1)) {
        throw cpp::Error(where(*s) + ": KV-cache usage " + std::to_string(s->value) +
                         " is outside [0, 1]");
      }
      sum += s->value;
    }
    out.setKvCacheUsage(sum / static_cast<double>(series.size()));
    break;
  }

  // The value of each lora_requests_info series is the time it was last updated: only
  // the newest one describes the present.
  if (!loraInfo_.empty()) {
    const prom::Sample* newest = nullptr;
    for (const auto* s : page.samples(loraInfo_)) {
      if (std::isnan(s->value)) throw cpp::Error(where(*s) + ": timestamp is NaN");
      if (newest == nullptr || s->value > newest->value) newest = s;
    }
    if (newest != nullptr) {
      if (auto slots = intLabel(*newest, "max_lora")) {
        out.setMaxLoras(*slots);
      } else if (newest->findLabel("max_lora")) {
        throw cpp::Error(where(*newest) + ": max_lora '" + std::string(newest->label("max_lora")) +
                         "' is not an integer");
      }
      for (const auto& a : prom::splitList(newest->label("running_lora_adapters"))) {
        out.addActiveLora(a);
      }
      for (const auto& a : prom::splitList(newest->label("waiting_lora_adapters"))) {
        out.addWaitingLora(a);
      }
    }
  }

  if (!cacheInfo_.empty()) {
    for (const auto* s : page.samples(cacheInfo_)) {
      auto blockSize = intLabel(*s, "block_size");
      auto blocks = intLabel(*s, "num_gpu_blocks");
      if (blockSize) out.setCacheBlockSize(*blockSize);
      if (blocks) out.setCacheNumBlocks(*blocks);
      if (blockSize || blocks) break;
    }
  }
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

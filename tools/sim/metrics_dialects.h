// File: tools/sim/metrics_dialects.h
//
// /metrics in the dialect of each model server an EPP scrapes, rendered from one engine
// snapshot. Names, labels, HELP text and number formatting follow the real servers'
// output (the fixtures under tests/fixtures/metrics and the servers' metric
// definitions):
//   vllm           vllm:num_requests_{running,waiting}, vllm:kv_cache_usage_perc (or the
//                  older vllm:gpu_cache_usage_perc), vllm:lora_requests_info,
//                  vllm:cache_config_info, vllm:prefix_cache_{queries,hits}_total, TTFT/ITL
//                  and request-phase histograms; labels engine="0", model_name
//   sglang         SGLang ≥ 0.5.16: sglang:num_{running,queue}_reqs, sglang:token_usage,
//                  sglang:page_size / sglang:num_pages gauges
//   sglang-legacy  SGLang 0.5.9: sglang:cache_config_info{num_pages,page_size} instead
//   llamacpp       llamacpp:requests_{processing,deferred} and the llama-server counters;
//                  no labels, no KV metric (current llama.cpp has none)
//   tgi            tgi_queue_size, tgi_batch_current_size, ... (TYPE lines only, no HELP)
//   trtllm-serve   trtllm_num_requests_{waiting,running}, trtllm_kv_cache_*; served on
//                  /prometheus/metrics, while /metrics answers JSON iteration stats
//   triton         nv_trt_llm_request_metrics{request_type}, nv_trt_llm_kv_cache_block_metrics
//                  {kv_cache_block_type}, nv_inference_* (Triton + TensorRT-LLM backend)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/sim/engine/engine.h"

namespace epp::sim {

enum class Dialect { kVllm, kSglang, kSglangLegacy, kLlamaCpp, kTgi, kTrtllmServe, kTriton };

std::optional<Dialect> parseDialect(std::string_view name);
std::string_view dialectName(Dialect dialect);
// Every dialect name, for help text and errors.
std::string dialectNames();

// vLLM renamed gpu_cache_usage_perc to kv_cache_usage_perc; scrapers must read both.
enum class KvUsageMetric { kCurrent, kLegacy, kBoth };
std::optional<KvUsageMetric> parseKvUsageMetric(std::string_view name);

// One series of vLLM's lora_requests_info: a label set and when it was last current.
struct LoraInfoSeries {
  std::string running;  // comma-joined adapter names
  std::string waiting;
  double timestamp = 0;
};

struct MetricsContext {
  std::string model;
  double wallSeconds = 0;   // Unix time of this scrape
  double startSeconds = 0;  // Unix time the server started (counters' _created)
  KvUsageMetric kvUsage = KvUsageMetric::kCurrent;
  std::vector<LoraInfoSeries> loraSeries;  // every label set seen, oldest first
  int pid = 1;
};

std::string renderMetrics(Dialect dialect, const EngineMetrics& m, const MetricsContext& ctx);
// Where the dialect's Prometheus text is served.
std::string_view metricsPath(Dialect dialect);
// The `owned_by` of the engine's /v1/models entries (how eppd's `engine: auto` tells
// engines apart).
std::string_view ownedBy(Dialect dialect);
// trtllm-serve's plain /metrics: a JSON array with one iteration-stats object.
std::string renderTrtllmIterationStats(const EngineMetrics& m, double wallSeconds);

}  // namespace epp::sim

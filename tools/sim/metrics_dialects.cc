#include "tools/sim/metrics_dialects.h"

#include <nlohmann/json.hpp>

#include <array>
#include <tuple>
#include <utility>

#include "tools/sim/prom_writer.h"

namespace epp::sim {
namespace {

constexpr std::array<std::pair<std::string_view, Dialect>, 7> kDialects{{
    {"vllm", Dialect::kVllm},
    {"sglang", Dialect::kSglang},
    {"sglang-legacy", Dialect::kSglangLegacy},
    {"llamacpp", Dialect::kLlamaCpp},
    {"tgi", Dialect::kTgi},
    {"trtllm-serve", Dialect::kTrtllmServe},
    {"triton", Dialect::kTriton},
}};

double d(uint64_t v) { return static_cast<double>(v); }
double d(int64_t v) { return static_cast<double>(v); }
double d(int32_t v) { return static_cast<double>(v); }

double hitRate(const EngineMetrics& m) {
  return m.prefixQueryTokens == 0 ? 0.0 : d(m.prefixHitTokens) / d(m.prefixQueryTokens);
}

// A counter as vLLM's prometheus_client prints it: the _total family and its _created.
void vllmCounter(PromWriter& w, const std::string& name, std::string_view help,
                 const LabelList& labels, double value, double created) {
  w.family(name + "_total", help, "counter");
  w.sample(name + "_total", labels, value);
  w.family(name + "_created", help, "gauge");
  w.sample(name + "_created", labels, created);
}

std::string renderVllm(const EngineMetrics& m, const MetricsContext& ctx) {
  PromWriter w(NumberStyle::kPython);
  const LabelList base{{"engine", "0"}, {"model_name", ctx.model}};
  auto with = [&](std::string k, std::string v) {
    LabelList l = base;
    l.emplace_back(std::move(k), std::move(v));
    return l;
  };
  w.family("vllm:num_requests_running", "Number of requests in model execution batches.", "gauge");
  w.sample("vllm:num_requests_running", base, d(m.running));
  w.family("vllm:num_requests_waiting", "Number of requests waiting to be processed.", "gauge");
  w.sample("vllm:num_requests_waiting", base, d(m.waiting));
  w.family("vllm:num_requests_waiting_by_reason",
           "Number of waiting requests by reason. Reason labels: 'capacity' = waiting for "
           "scheduling capacity; 'deferred' = deferred by transient constraints (LoRA budget, "
           "KV transfer, blocked status). Sum of all reasons equals vllm:num_requests_waiting.",
           "gauge");
  w.sample("vllm:num_requests_waiting_by_reason", with("reason", "capacity"),
           d(m.waiting - m.waitingDeferred));
  w.sample("vllm:num_requests_waiting_by_reason", with("reason", "deferred"), d(m.waitingDeferred));
  if (ctx.kvUsage != KvUsageMetric::kLegacy) {
    w.family("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", "gauge");
    w.sample("vllm:kv_cache_usage_perc", base, m.kvUsage);
  }
  if (ctx.kvUsage != KvUsageMetric::kCurrent) {
    w.family("vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.",
             "gauge");
    w.sample("vllm:gpu_cache_usage_perc", base, m.kvUsage);
  }
  vllmCounter(w, "vllm:prefix_cache_queries",
              "Prefix cache queries, in terms of number of queried tokens.", base,
              d(m.prefixQueryTokens), ctx.startSeconds);
  vllmCounter(w, "vllm:prefix_cache_hits",
              "Prefix cache hits, in terms of number of cached tokens.", base, d(m.prefixHitTokens),
              ctx.startSeconds);
  vllmCounter(w, "vllm:num_preemptions", "Cumulative number of preemption from the engine.", base,
              d(m.preemptions), ctx.startSeconds);
  vllmCounter(w, "vllm:prompt_tokens", "Number of prefill tokens processed.", base,
              d(m.promptTokens), ctx.startSeconds);
  vllmCounter(w, "vllm:generation_tokens", "Number of generation tokens processed.", base,
              d(m.generationTokens), ctx.startSeconds);
  w.family("vllm:request_success_total", "Count of successfully processed requests.", "counter");
  w.sample("vllm:request_success_total", with("finished_reason", "length"), d(m.requestsFinished));

  w.family("vllm:lora_requests_info", "Running stats on lora requests.", "gauge");
  for (const LoraInfoSeries& s : ctx.loraSeries) {
    w.sample("vllm:lora_requests_info",
             {{"max_lora", std::to_string(m.maxLoras)},
              {"running_lora_adapters", s.running},
              {"waiting_lora_adapters", s.waiting}},
             s.timestamp);
  }
  w.family("vllm:cache_config_info", "Information of the LLMEngine CacheConfig", "gauge");
  w.sample("vllm:cache_config_info",
           {{"block_size", std::to_string(m.blockSize)},
            {"cache_dtype", "auto"},
            {"enable_prefix_caching", "True"},
            {"engine", "0"},
            {"gpu_memory_utilization", "0.9"},
            {"kv_cache_size_tokens", std::to_string(int64_t{m.numBlocks} * m.blockSize)},
            {"num_cpu_blocks", "None"},
            {"num_gpu_blocks", std::to_string(m.numBlocks)},
            {"num_gpu_blocks_override", "None"},
            {"sliding_window", "None"}},
           1.0);

  struct H {
    const char* name;
    const char* help;
    const Histogram& h;
  };
  for (const H& h : {
           H{"vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
             m.ttft},
           H{"vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
             m.itl},
           H{"vllm:request_time_per_output_token_seconds",
             "Histogram of time_per_output_token_seconds per request.", m.tpot},
           H{"vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
             m.e2e},
           H{"vllm:request_queue_time_seconds",
             "Histogram of time spent in WAITING phase for request.", m.queueTime},
           H{"vllm:request_prefill_time_seconds",
             "Histogram of time spent in PREFILL phase for request.", m.prefillTime},
           H{"vllm:request_decode_time_seconds",
             "Histogram of time spent in DECODE phase for request.", m.decodeTime},
       }) {
    w.family(h.name, h.help, "histogram");
    w.histogram(h.name, base, h.h);
  }
  return w.take();
}

std::string renderSglang(const EngineMetrics& m, const MetricsContext& ctx, bool legacy) {
  PromWriter w(NumberStyle::kPython);
  const LabelList base{{"engine_type", "unified"},
                       {"model_name", ctx.model},
                       {"moe_ep_rank", "0"},
                       {"pp_rank", "0"},
                       {"tp_rank", "0"}};
  const double totalTokens = d(int64_t{m.numBlocks} * m.blockSize);
  auto gauge = [&](const char* name, const char* help, double v) {
    w.family(name, help, "gauge");
    w.sample(name, base, v);
  };
  gauge("sglang:num_running_reqs", "The number of running requests.", d(m.running));
  gauge("sglang:num_queue_reqs", "The number of requests in the waiting queue.", d(m.waiting));
  gauge("sglang:num_used_tokens", "The number of used tokens.",
        d(int64_t{m.usedBlocks} * m.blockSize));
  gauge("sglang:token_usage", "The token usage.", m.kvUsage);
  gauge("sglang:max_total_num_tokens", "Maximum total number of tokens in the KV cache pool.",
        totalTokens);
  if (legacy) {
    w.family("sglang:cache_config_info", "Cache configuration information.", "gauge");
    w.sample(
        "sglang:cache_config_info",
        {{"num_pages", std::to_string(m.numBlocks)}, {"page_size", std::to_string(m.blockSize)}},
        1.0);
  } else {
    gauge("sglang:page_size", "KV cache page size in tokens.", d(m.blockSize));
    gauge("sglang:num_pages", "Number of KV cache pages.", d(m.numBlocks));
  }
  gauge("sglang:cache_hit_rate", "The prefix cache hit rate.", hitRate(m));
  gauge("sglang:gen_throughput", "The generation throughput (token/s).",
        m.decodeBusyUs > 0 ? d(m.generationTokens) / (d(m.decodeBusyUs) / 1e6) : 0.0);
  for (auto [name, help, v] : {
           std::tuple{"sglang:prompt_tokens_total", "Number of prefill tokens processed.",
                      d(m.promptTokens)},
           std::tuple{"sglang:generation_tokens_total", "Number of generation tokens processed.",
                      d(m.generationTokens)},
           std::tuple{"sglang:cached_tokens_total", "Number of cached prompt tokens.",
                      d(m.prefixHitTokens)},
           std::tuple{"sglang:num_requests_total", "Number of requests processed.",
                      d(m.requestsFinished)},
       }) {
    w.family(name, help, "counter");
    w.sample(name, base, v);
  }
  struct H {
    const char* name;
    const char* help;
    const Histogram& h;
  };
  for (const H& h : {
           H{"sglang:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
             m.ttft},
           H{"sglang:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
             m.itl},
           H{"sglang:e2e_request_latency_seconds",
             "Histogram of End-to-end request latency in seconds", m.e2e},
           H{"sglang:queue_time_seconds", "Histogram of queueing time in seconds.", m.queueTime},
       }) {
    w.family(h.name, h.help, "histogram");
    w.histogram(h.name, base, h.h);
  }
  return w.take();
}

std::string renderLlamaCpp(const EngineMetrics& m) {
  PromWriter w(NumberStyle::kPrintfG);
  auto one = [&](const char* name, const char* help, const char* type, double v) {
    const std::string full = std::string("llamacpp:") + name;
    w.family(full, help, type);
    w.sample(full, {}, v);
  };
  const double promptSeconds = d(m.prefillBusyUs) / 1e6;
  const double decodeSeconds = d(m.decodeBusyUs) / 1e6;
  one("prompt_tokens_total", "Number of prompt tokens processed.", "counter", d(m.prefillTokens));
  one("prompt_seconds_total", "Prompt process time", "counter", promptSeconds);
  one("tokens_predicted_total", "Number of generation tokens processed.", "counter",
      d(m.generationTokens));
  one("tokens_predicted_seconds_total", "Predict process time", "counter", decodeSeconds);
  one("n_decode_total", "Total number of llama_decode() calls", "counter", d(m.steps));
  one("n_tokens_max", "Largest observed n_tokens.", "counter", d(m.maxStepTokens));
  one("n_busy_slots_per_decode", "Average number of busy slots per llama_decode() call", "gauge",
      m.steps == 0 ? 0.0 : d(m.scheduledSeqs) / d(m.steps));
  one("prompt_tokens_seconds", "Average prompt throughput in tokens/s.", "gauge",
      promptSeconds > 0 ? d(m.prefillTokens) / promptSeconds : 0.0);
  one("predicted_tokens_seconds", "Average generation throughput in tokens/s.", "gauge",
      decodeSeconds > 0 ? d(m.generationTokens) / decodeSeconds : 0.0);
  one("requests_processing", "Number of requests processing.", "gauge", d(m.running));
  one("requests_deferred", "Number of requests deferred.", "gauge", d(m.waiting));
  return w.take();
}

std::string renderTgi(const EngineMetrics& m) {
  PromWriter w(NumberStyle::kShortest);
  auto one = [&](const char* name, const char* type, const LabelList& labels, double v) {
    w.family(name, "", type);
    w.sample(name, labels, v);
  };
  one("tgi_queue_size", "gauge", {}, d(m.waiting));
  one("tgi_batch_current_size", "gauge", {}, d(m.running));
  one("tgi_batch_current_max_tokens", "gauge", {}, d(int64_t{m.usedBlocks} * m.blockSize));
  one("tgi_request_count", "counter", {}, d(m.requestsSubmitted));
  one("tgi_request_success", "counter", {}, d(m.requestsFinished));
  one("tgi_request_failure", "counter", {{"err", "validation"}}, d(m.requestsRejected));
  w.family("tgi_batch_inference_count", "", "counter");
  w.sample("tgi_batch_inference_count", {{"method", "decode"}}, d(m.steps));
  w.family("tgi_request_queue_duration", "", "histogram");
  w.histogram("tgi_request_queue_duration", {}, m.queueTime, true);
  w.family("tgi_request_duration", "", "histogram");
  w.histogram("tgi_request_duration", {}, m.e2e, true);
  w.family("tgi_request_mean_time_per_token_duration", "", "histogram");
  w.histogram("tgi_request_mean_time_per_token_duration", {}, m.tpot, true);
  return w.take();
}

std::string renderTrtllm(const EngineMetrics& m, const MetricsContext& ctx) {
  PromWriter w(NumberStyle::kPython);
  const LabelList base{
      {"engine_type", "pytorch"}, {"model_name", ctx.model}, {"pid", std::to_string(ctx.pid)}};
  auto gauge = [&](const char* name, const char* help, double v) {
    w.family(name, help, "gauge");
    w.sample(name, base, v);
  };
  gauge("trtllm_num_requests_waiting", "Number of requests waiting to be scheduled", d(m.waiting));
  gauge("trtllm_num_requests_running", "Number of requests currently running", d(m.running));
  gauge("trtllm_kv_cache_utilization", "KV cache utilization", m.kvUsage);
  gauge("trtllm_kv_cache_hit_rate", "KV cache hit rate", hitRate(m));
  gauge("trtllm_kv_cache_max_blocks", "Maximum number of KV cache blocks", d(m.numBlocks));
  gauge("trtllm_kv_cache_free_blocks", "Number of free KV cache blocks",
        d(m.numBlocks - m.usedBlocks));
  gauge("trtllm_kv_cache_used_blocks", "Number of used KV cache blocks", d(m.usedBlocks));
  gauge("trtllm_kv_cache_tokens_per_block", "Number of tokens per KV cache block", d(m.blockSize));
  w.family("trtllm_request_success_total", "Count of successfully processed requests.", "counter");
  LabelList finished = base;
  finished.emplace_back("finished_reason", "length");
  w.sample("trtllm_request_success_total", finished, d(m.requestsFinished));
  w.family("trtllm_time_to_first_token_seconds", "Histogram of time to first token in seconds.",
           "histogram");
  w.histogram("trtllm_time_to_first_token_seconds", base, m.ttft);
  w.family("trtllm_e2e_request_latency_seconds",
           "Histogram of end to end request latency in seconds.", "histogram");
  w.histogram("trtllm_e2e_request_latency_seconds", base, m.e2e);
  w.family("trtllm_request_queue_time_seconds",
           "Histogram of time spent in WAITING phase for request.", "histogram");
  w.histogram("trtllm_request_queue_time_seconds", base, m.queueTime);
  return w.take();
}

std::string renderTriton(const EngineMetrics& m, const MetricsContext& ctx) {
  PromWriter w(NumberStyle::kShortest);
  auto labels = [](const char* key, const char* value) {
    return LabelList{{key, value}, {"model", "tensorrt_llm"}, {"version", "1"}};
  };
  const LabelList model{{"model", "tensorrt_llm"}, {"version", "1"}};
  w.family("nv_trt_llm_request_metrics", "TRT LLM request metrics", "gauge");
  w.sample("nv_trt_llm_request_metrics", labels("request_type", "waiting"), d(m.waiting));
  w.sample("nv_trt_llm_request_metrics", labels("request_type", "context"), d(m.runningPrefill));
  w.sample("nv_trt_llm_request_metrics", labels("request_type", "scheduled"), d(m.running));
  w.sample("nv_trt_llm_request_metrics", labels("request_type", "max"), d(m.maxNumSeqs));
  w.sample("nv_trt_llm_request_metrics", labels("request_type", "active"),
           d(m.running + m.waiting));
  w.family("nv_trt_llm_kv_cache_block_metrics", "TRT LLM KV cache block metrics", "gauge");
  w.sample("nv_trt_llm_kv_cache_block_metrics", labels("kv_cache_block_type", "fraction"),
           m.kvUsage);
  w.sample("nv_trt_llm_kv_cache_block_metrics", labels("kv_cache_block_type", "tokens_per"),
           d(m.blockSize));
  w.sample("nv_trt_llm_kv_cache_block_metrics", labels("kv_cache_block_type", "used"),
           d(m.usedBlocks));
  w.sample("nv_trt_llm_kv_cache_block_metrics", labels("kv_cache_block_type", "free"),
           d(m.numBlocks - m.usedBlocks));
  w.sample("nv_trt_llm_kv_cache_block_metrics", labels("kv_cache_block_type", "max"),
           d(m.numBlocks));
  w.family("nv_trt_llm_inflight_batcher_metrics", "TRT LLM inflight_batcher-specific metrics",
           "gauge");
  w.sample("nv_trt_llm_inflight_batcher_metrics",
           labels("inflight_batcher_specific_metric", "generation_requests"),
           d(m.running - m.runningPrefill));
  w.sample("nv_trt_llm_inflight_batcher_metrics",
           labels("inflight_batcher_specific_metric", "total_context_tokens"), d(m.prefillTokens));
  w.family("nv_trt_llm_general_metrics", "General TRT LLM metrics", "gauge");
  w.sample("nv_trt_llm_general_metrics", labels("general_type", "iteration_counter"), d(m.steps));
  w.sample("nv_trt_llm_general_metrics", labels("general_type", "timestamp"),
           static_cast<double>(static_cast<int64_t>(ctx.wallSeconds)));
  w.family("nv_inference_request_success",
           "Number of successful inference requests, all batch sizes", "counter");
  w.sample("nv_inference_request_success", model, d(m.requestsFinished));
  w.family("nv_inference_request_failure", "Number of failed inference requests, all batch sizes",
           "counter");
  w.sample("nv_inference_request_failure", model, d(m.requestsRejected));
  w.family("nv_inference_count",
           "Number of inferences performed (does not include cached requests)", "counter");
  w.sample("nv_inference_count", model, d(m.requestsFinished));
  w.family("nv_inference_pending_request_count",
           "Instantaneous number of pending requests awaiting execution per-model.", "gauge");
  w.sample("nv_inference_pending_request_count", model, d(m.waiting));
  return w.take();
}

}  // namespace

std::optional<Dialect> parseDialect(std::string_view name) {
  for (const auto& [n, dialect] : kDialects) {
    if (n == name) return dialect;
  }
  return std::nullopt;
}

std::string_view dialectName(Dialect dialect) {
  for (const auto& [n, dl] : kDialects) {
    if (dl == dialect) return n;
  }
  return "?";
}

std::string dialectNames() {
  std::string out;
  for (const auto& entry : kDialects) {
    if (!out.empty()) out += ", ";
    out += entry.first;
  }
  return out;
}

std::optional<KvUsageMetric> parseKvUsageMetric(std::string_view name) {
  if (name == "kv") return KvUsageMetric::kCurrent;
  if (name == "gpu") return KvUsageMetric::kLegacy;
  if (name == "both") return KvUsageMetric::kBoth;
  return std::nullopt;
}

std::string_view metricsPath(Dialect dialect) {
  return dialect == Dialect::kTrtllmServe ? "/prometheus/metrics" : "/metrics";
}

std::string_view ownedBy(Dialect dialect) {
  switch (dialect) {
    case Dialect::kSglang:
    case Dialect::kSglangLegacy:
      return "sglang";
    case Dialect::kLlamaCpp:
      return "llamacpp";
    case Dialect::kTgi:
      return "tgi";
    case Dialect::kTrtllmServe:
    case Dialect::kTriton:
      return "tensorrt_llm";
    default:
      return "vllm";
  }
}

std::string renderMetrics(Dialect dialect, const EngineMetrics& m, const MetricsContext& ctx) {
  switch (dialect) {
    case Dialect::kVllm:
      return renderVllm(m, ctx);
    case Dialect::kSglang:
      return renderSglang(m, ctx, false);
    case Dialect::kSglangLegacy:
      return renderSglang(m, ctx, true);
    case Dialect::kLlamaCpp:
      return renderLlamaCpp(m);
    case Dialect::kTgi:
      return renderTgi(m);
    case Dialect::kTrtllmServe:
      return renderTrtllm(m, ctx);
    case Dialect::kTriton:
      return renderTriton(m, ctx);
  }
  return {};
}

std::string renderTrtllmIterationStats(const EngineMetrics& m, double wallSeconds) {
  nlohmann::json stats = {
      {"iter", m.steps},
      {"timestamp", wallSeconds},
      {"numActiveRequests", m.running},
      {"numQueuedRequests", m.waiting},
      {"maxNumActiveRequests", m.maxNumSeqs},
      {"kvCacheStats",
       {{"maxNumBlocks", m.numBlocks},
        {"freeNumBlocks", m.numBlocks - m.usedBlocks},
        {"usedNumBlocks", m.usedBlocks},
        {"tokensPerBlock", m.blockSize},
        {"cacheHitRate", hitRate(m)}}},
  };
  return nlohmann::json::array({stats}).dump();
}

}  // namespace epp::sim

// Number formatting of each engine's Prometheus client, and the dialects' metric shapes
// (family types, label names, label values) against real /metrics captures in
// tests/fixtures/metrics.
#include "tools/sim/prom_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tools/sim/metrics_dialects.h"
#include "tools/sim/tests/http_client.h"

namespace epp::sim {
namespace {

TEST(SimPromWriter, FormatsNumbersAsPythonPrometheusClientDoes) {
  // Values taken from the fixtures' own text.
  EXPECT_EQ(formatPython(0.0), "0.0");
  EXPECT_EQ(formatPython(162.0), "162.0");
  EXPECT_EQ(formatPython(123859.0), "123859.0");
  EXPECT_EQ(formatPython(8128902.0), "8.128902e+06");
  EXPECT_EQ(formatPython(7400757.0), "7.400757e+06");
  EXPECT_EQ(formatPython(1738217335.8407154), "1.7382173358407154e+09");
  EXPECT_EQ(formatPython(0.28), "0.28");
  EXPECT_EQ(formatPython(0.007507552643049313), "0.007507552643049313");
  EXPECT_EQ(formatPython(866964.5791549598), "866964.5791549598");
  EXPECT_EQ(formatPython(-1.0), "-1.0");
  EXPECT_EQ(formatPython(1e-05), "1e-05");
  EXPECT_EQ(formatPython(2560.0), "2560.0");
  EXPECT_EQ(formatNumber(0.4875, NumberStyle::kShortest), "0.4875");
  EXPECT_EQ(formatNumber(1700074049.0, NumberStyle::kShortest), "1700074049");
  EXPECT_EQ(formatNumber(6239.0, NumberStyle::kShortest), "6239");
  EXPECT_EQ(formatNumber(2903.63, NumberStyle::kPrintfG), "2903.63");
  EXPECT_EQ(formatNumber(6886.0, NumberStyle::kPrintfG), "6886");
}

TEST(SimPromWriter, HistogramBucketsAreCumulativeWithLeLast) {
  PromWriter w(NumberStyle::kPython);
  Histogram h(ttftBuckets());
  h.observe(0.003);
  h.observe(0.5);
  h.observe(5000);
  w.histogram("x", {{"model_name", "m"}}, h);
  auto samples = testing::parseSamples(w.take());
  EXPECT_EQ(testing::sampleValue(samples, "x_bucket", {{"le", "0.001"}}), 0.0);
  EXPECT_EQ(testing::sampleValue(samples, "x_bucket", {{"le", "0.005"}}), 1.0);
  EXPECT_EQ(testing::sampleValue(samples, "x_bucket", {{"le", "0.5"}}), 2.0);
  EXPECT_EQ(testing::sampleValue(samples, "x_bucket", {{"le", "2560.0"}}), 2.0);
  EXPECT_EQ(testing::sampleValue(samples, "x_bucket", {{"le", "+Inf"}}), 3.0);
  EXPECT_EQ(testing::sampleValue(samples, "x_count"), 3.0);
  EXPECT_DOUBLE_EQ(*testing::sampleValue(samples, "x_sum"), 5000.503);
}

std::string readFixture(const std::string& relative) {
  std::ifstream in(std::filesystem::path(EPP_METRICS_FIXTURES) / relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> labelNames(const testing::Sample& s) {
  std::set<std::string> out;
  for (const auto& [k, v] : s.labels) out.insert(k);
  return out;
}

// For each family: the simulator declares the same type, and its samples carry the same
// label names (and, for `valueLabel`, the same set of values) as the real capture.
void expectSameShape(const std::string& fixtureFile, Dialect dialect,
                     const std::vector<std::string>& families, const std::string& valueLabel = "") {
  const std::string fixture = readFixture(fixtureFile);
  ASSERT_FALSE(fixture.empty()) << "missing fixture " << fixtureFile << " under "
                                << EPP_METRICS_FIXTURES;
  EngineMetrics m;
  m.numBlocks = 100;
  m.blockSize = 16;
  MetricsContext ctx;
  ctx.model = "Qwen/Qwen3-0.6B";
  ctx.loraSeries = {{"", "", 1.7e9}};
  const std::string ours = renderMetrics(dialect, m, ctx);
  const auto theirTypes = testing::familyTypes(fixture);
  const auto ourTypes = testing::familyTypes(ours);
  const auto theirSamples = testing::parseSamples(fixture);
  const auto ourSamples = testing::parseSamples(ours);
  for (const std::string& family : families) {
    SCOPED_TRACE(fixtureFile + ": " + family);
    ASSERT_TRUE(theirTypes.contains(family));
    ASSERT_TRUE(ourTypes.contains(family)) << ours;
    EXPECT_EQ(ourTypes.at(family), theirTypes.at(family));
    std::set<std::set<std::string>> theirLabels, ourLabels;
    std::set<std::string> theirValues, ourValues;
    for (const auto& s : theirSamples) {
      if (s.name != family) continue;
      theirLabels.insert(labelNames(s));
      if (!valueLabel.empty()) theirValues.insert(s.labels.at(valueLabel));
    }
    for (const auto& s : ourSamples) {
      if (s.name != family) continue;
      ourLabels.insert(labelNames(s));
      if (!valueLabel.empty()) ourValues.insert(s.labels.at(valueLabel));
    }
    EXPECT_EQ(ourLabels, theirLabels);
    if (!valueLabel.empty()) {
      for (const auto& v : theirValues) EXPECT_TRUE(ourValues.contains(v)) << v;
    }
  }
}

TEST(SimDialects, VllmMatchesTheV026Capture) {
  expectSameShape("vllm/v0.26.0-llmd-router-none.prom", Dialect::kVllm,
                  {"vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"});
  expectSameShape("vllm/v0.26.0-llmd-router-none.prom", Dialect::kVllm,
                  {"vllm:num_requests_waiting_by_reason"}, "reason");
}

TEST(SimDialects, VllmLoraAndCacheConfigMatchTheV0Capture) {
  expectSameShape("vllm/v0-engine-aibrix-runtime-doc.prom", Dialect::kVllm,
                  {"vllm:lora_requests_info"});
  // cache_config_info: the labels scrapers read are there (the rest vary by version).
  EngineMetrics m;
  m.numBlocks = 81767;
  m.blockSize = 16;
  auto s = testing::parseSamples(renderMetrics(Dialect::kVllm, m, MetricsContext{}));
  EXPECT_EQ(testing::sampleValue(s, "vllm:cache_config_info",
                                 {{"block_size", "16"}, {"num_gpu_blocks", "81767"}}),
            1.0);
}

TEST(SimDialects, SglangMatchesTheV0516Capture) {
  expectSameShape("sglang/v0.5.16-hicache-llmd-router.prom", Dialect::kSglang,
                  {"sglang:num_queue_reqs", "sglang:token_usage", "sglang:page_size",
                   "sglang:num_pages", "sglang:max_total_num_tokens"});
}

TEST(SimDialects, SglangLegacyMatchesTheV059Capture) {
  expectSameShape("sglang/v0.5.9-hicache-llmd-router.prom", Dialect::kSglangLegacy,
                  {"sglang:num_queue_reqs", "sglang:token_usage", "sglang:cache_config_info",
                   "sglang:max_total_num_tokens"});
}

TEST(SimDialects, TrtllmServeMatchesTheV13Capture) {
  expectSameShape("trtllm/trtllm-serve-1.3.0rc23-v2-llmd-router.prom", Dialect::kTrtllmServe,
                  {"trtllm_kv_cache_utilization", "trtllm_kv_cache_max_blocks",
                   "trtllm_kv_cache_free_blocks", "trtllm_kv_cache_tokens_per_block"});
}

TEST(SimDialects, TritonMatchesTheTensorRtLlmBackendSample) {
  const std::string file = "triton/tensorrtllm-backend-readme-inflight-batcher.prom";
  expectSameShape(file, Dialect::kTriton, {"nv_trt_llm_request_metrics"}, "request_type");
  expectSameShape(file, Dialect::kTriton, {"nv_trt_llm_kv_cache_block_metrics"},
                  "kv_cache_block_type");
  expectSameShape("triton/tensorrtllm-backend-readme-base-nv-inference.prom", Dialect::kTriton,
                  {"nv_inference_pending_request_count", "nv_inference_request_success"});
}

TEST(SimDialects, LlamaCppAndTgiUseTheirServersNamesWithoutLabels) {
  EngineMetrics m;
  m.waiting = 3;
  m.running = 2;
  const std::string llama = renderMetrics(Dialect::kLlamaCpp, m, MetricsContext{});
  auto types = testing::familyTypes(llama);
  EXPECT_EQ(types["llamacpp:requests_deferred"], "gauge");
  EXPECT_EQ(types["llamacpp:prompt_tokens_total"], "counter");
  EXPECT_NE(llama.find("# HELP llamacpp:requests_processing Number of requests processing.\n"),
            std::string::npos);
  EXPECT_NE(llama.find("\nllamacpp:requests_deferred 3\n"), std::string::npos);
  const std::string tgi = renderMetrics(Dialect::kTgi, m, MetricsContext{});
  EXPECT_EQ(tgi.find("# HELP"), std::string::npos);
  EXPECT_NE(tgi.find("# TYPE tgi_queue_size gauge\ntgi_queue_size 3\n"), std::string::npos);
  EXPECT_NE(tgi.find("tgi_batch_current_size 2\n"), std::string::npos);
}

TEST(SimDialects, VllmKvUsageUnderTheOldTheNewOrBothNames) {
  EngineMetrics m;
  m.kvUsage = 0.25;
  MetricsContext ctx;
  ctx.kvUsage = KvUsageMetric::kLegacy;
  auto s = testing::parseSamples(renderMetrics(Dialect::kVllm, m, ctx));
  EXPECT_EQ(testing::sampleValue(s, "vllm:gpu_cache_usage_perc"), 0.25);
  EXPECT_FALSE(testing::sampleValue(s, "vllm:kv_cache_usage_perc").has_value());
  ctx.kvUsage = KvUsageMetric::kBoth;
  s = testing::parseSamples(renderMetrics(Dialect::kVllm, m, ctx));
  EXPECT_EQ(testing::sampleValue(s, "vllm:gpu_cache_usage_perc"), 0.25);
  EXPECT_EQ(testing::sampleValue(s, "vllm:kv_cache_usage_perc"), 0.25);
}

}  // namespace
}  // namespace epp::sim

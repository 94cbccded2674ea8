// The SDK's Prometheus text parser over every captured model-server /metrics output, and
// over malformed input, where each mistake must be reported at its line and column.
#include "epp/cpp/prometheus_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace epp::cpp::prom {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string fixture(const std::string& relative) {
  fs::path path = fs::path(EPP_METRICS_FIXTURES) / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Lines that are neither blank nor comments: what the parser must turn into samples.
size_t sampleLines(const std::string& text) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') ++n;
  }
  return n;
}

double value(const Exposition& e, std::string_view name) {
  const Sample* s = e.first(name);
  if (s == nullptr) throw std::runtime_error("no sample " + std::string(name));
  return s->value;
}

std::string errorOf(std::string_view text) {
  try {
    parse(text);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}

TEST(PrometheusTextFixtures, EveryFileParsesIntoOneSamplePerSampleLine) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(EPP_METRICS_FIXTURES)) {
    if (entry.path().extension() == ".prom") files.push_back(entry.path());
  }
  ASSERT_EQ(files.size(), 13u) << "fixture directory " << EPP_METRICS_FIXTURES;
  for (const auto& path : files) {
    std::string text = fixture(fs::relative(path, EPP_METRICS_FIXTURES).string());
    Exposition e;
    ASSERT_NO_THROW(e = parse(text)) << path;
    EXPECT_EQ(e.all().size(), sampleLines(text)) << path;
    EXPECT_GT(e.all().size(), 0u) << path;
  }
}

TEST(PrometheusTextFixtures, VllmV1WithCacheConfigAndEmptyFamilies) {
  Exposition e = parse(fixture("vllm/v0.26.0-llmd-router-offload-flag.prom"));
  EXPECT_EQ(value(e, "vllm:num_requests_waiting"), 0.0);
  EXPECT_EQ(value(e, "vllm:kv_cache_usage_perc"), 0.0);
  const Sample* cc = e.first("vllm:cache_config_info");
  ASSERT_NE(cc, nullptr);
  EXPECT_EQ(cc->label("block_size"), "16");
  EXPECT_EQ(cc->label("num_gpu_blocks"), "74272");
  EXPECT_EQ(cc->label("kv_offloading_size"), "4.0");
  EXPECT_EQ(cc->label("_block_size_resolved"), "True");
  EXPECT_EQ(cc->label("kv_cache_dtype_skip_layers"), "[]");
  EXPECT_FALSE(cc->findLabel("no_such_label").has_value());
  // Families announced by HELP/TYPE with no samples are known but empty.
  ASSERT_NE(e.family("vllm:kv_offload_cpu_cache_usage_perc"), nullptr);
  EXPECT_EQ(e.family("vllm:kv_offload_cpu_cache_usage_perc")->type, "gauge");
  EXPECT_FALSE(e.has("vllm:kv_offload_cpu_cache_usage_perc"));
  // Histogram buckets with an exponent in `le`, one series per transfer type.
  auto buckets = e.samples("vllm:kv_offload_size_bucket");
  ASSERT_FALSE(buckets.empty());
  EXPECT_EQ(buckets.front()->label("le"), "1e+06");
  EXPECT_EQ(e.family("vllm:kv_offload_size")->type, "histogram");
  EXPECT_EQ(e.samples("vllm:kv_offload_size_count").size(), 2u);
}

TEST(PrometheusTextFixtures, VllmV1CreatedTimestampsInExponentForm) {
  Exposition e = parse(fixture("vllm/v0.26.0-llmd-router-none.prom"));
  EXPECT_DOUBLE_EQ(value(e, "vllm:external_prefix_cache_queries_created"), 1.7859669528940387e+09);
  auto reasons = e.samples("vllm:num_requests_waiting_by_reason");
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(reasons[0]->label("reason"), "capacity");
  EXPECT_EQ(reasons[1]->label("reason"), "deferred");
  EXPECT_EQ(reasons[1]->line, 7);
  EXPECT_EQ(e.first("vllm:cache_config_info")->labels.size(), 29u);
}

TEST(PrometheusTextFixtures, VllmV0OldNamesNegativeValuesAndLoraInfo) {
  Exposition e = parse(fixture("vllm/v0-engine-aibrix-runtime-doc.prom"));
  EXPECT_EQ(value(e, "vllm:gpu_cache_usage_perc"), 0.0);
  EXPECT_EQ(value(e, "vllm:cpu_prefix_cache_hit_rate"), -1.0);
  EXPECT_EQ(value(e, "vllm:prompt_tokens_total"), 148.0);
  EXPECT_EQ(value(e, "vllm:generation_tokens_total"), 955.0);
  const Sample* lora = e.first("vllm:lora_requests_info");
  ASSERT_NE(lora, nullptr);
  EXPECT_DOUBLE_EQ(lora->value, 1.7382173358407154e+09);
  EXPECT_EQ(lora->label("max_lora"), "0");
  EXPECT_EQ(lora->label("running_lora_adapters"), "");
  ASSERT_TRUE(lora->findLabel("waiting_lora_adapters").has_value());
  // This capture has TYPE but no HELP for its first family.
  EXPECT_EQ(e.family("vllm:cache_config_info")->help, "");
  EXPECT_EQ(e.family("vllm:num_requests_running")->help,
            "Number of requests currently running on GPU.");
}

TEST(PrometheusTextFixtures, SimulatorLoraFragmentWithoutMetadata) {
  Exposition e = parse(fixture("vllm/llmd-inference-sim-fake-lora-lines.prom"));
  auto series = e.samples("vllm:lora_requests_info");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0]->value, 1257894567.0);
  EXPECT_EQ(series[1]->value, 1257894569.0);
  EXPECT_EQ(series[0]->label("running_lora_adapters"), "lora4,lora2");
  EXPECT_EQ(e.familyCount(), 0u);
}

TEST(PrometheusTextFixtures, SglangHistogramsSumFirstAndInfBuckets) {
  Exposition e = parse(fixture("sglang/docs-production-metrics-llama31-8b.prom"));
  EXPECT_EQ(value(e, "sglang:num_queue_reqs"), 2826.0);
  EXPECT_EQ(value(e, "sglang:num_running_reqs"), 162.0);
  EXPECT_DOUBLE_EQ(value(e, "sglang:token_usage"), 0.28);
  EXPECT_EQ(value(e, "sglang:prompt_tokens_total"), 8.128902e+06);
  auto buckets = e.samples("sglang:time_per_output_token_seconds_bucket");
  ASSERT_FALSE(buckets.empty());
  EXPECT_EQ(buckets.back()->label("le"), "+Inf");
  EXPECT_EQ(buckets.back()->value, 7.400757e+06);
  EXPECT_EQ(value(e, "sglang:time_per_output_token_seconds_count"), 7.400757e+06);
  EXPECT_EQ(e.first("sglang:func_latency_seconds_count")->label("name"), "generate_request");
}

TEST(PrometheusTextFixtures, SglangCacheConfigOldAndPagesNew) {
  Exposition old = parse(fixture("sglang/v0.5.9-hicache-llmd-router.prom"));
  EXPECT_EQ(old.first("sglang:cache_config_info")->label("num_pages"), "200000");
  EXPECT_EQ(old.first("sglang:cache_config_info")->label("page_size"), "1");
  EXPECT_EQ(value(old, "sglang:max_total_num_tokens"), 200000.0);
  Exposition next = parse(fixture("sglang/v0.5.16-hicache-llmd-router.prom"));
  EXPECT_EQ(value(next, "sglang:page_size"), 1.0);
  EXPECT_EQ(value(next, "sglang:num_pages"), 200000.0);
  EXPECT_FALSE(next.has("sglang:cache_config_info"));
}

TEST(PrometheusTextFixtures, TrtllmServeKvFamilies) {
  Exposition v2 = parse(fixture("trtllm/trtllm-serve-1.3.0rc23-v2-llmd-router.prom"));
  EXPECT_EQ(value(v2, "trtllm_kv_cache_max_blocks"), 19958.0);
  EXPECT_EQ(value(v2, "trtllm_kv_cache_tokens_per_block"), 32.0);
  EXPECT_EQ(v2.first("trtllm_kv_cache_utilization")->label("engine_type"), "pytorch");
  Exposition host =
      parse(fixture("trtllm/trtllm-serve-1.3.0rc23-legacy-hostcache-llmd-router.prom"));
  EXPECT_EQ(value(host, "trtllm_kv_cache_max_blocks"), 21129.0);
  Exposition nohost =
      parse(fixture("trtllm/trtllm-serve-1.3.0rc23-legacy-nohost-llmd-router.prom"));
  EXPECT_EQ(value(nohost, "trtllm_kv_cache_max_blocks"), 19960.0);
}

TEST(PrometheusTextFixtures, TritonIntegersWithoutDecimalPoint) {
  Exposition e = parse(fixture("triton/tensorrtllm-backend-readme-inflight-batcher.prom"));
  std::map<std::string, double> kv;
  for (const auto* s : e.samples("nv_trt_llm_kv_cache_block_metrics")) {
    kv[std::string(s->label("kv_cache_block_type"))] = s->value;
  }
  EXPECT_EQ(kv["fraction"], 0.4875);
  EXPECT_EQ(kv["tokens_per"], 64.0);
  EXPECT_EQ(kv["max"], 6239.0);
  std::map<std::string, double> req;
  for (const auto* s : e.samples("nv_trt_llm_request_metrics")) {
    req[std::string(s->label("request_type"))] = s->value;
  }
  EXPECT_EQ(req["waiting"], 1.0);
  EXPECT_EQ(req["scheduled"], 1.0);
  EXPECT_EQ(req["max"], 512.0);
  Exposition base = parse(fixture("triton/tensorrtllm-backend-readme-base-nv-inference.prom"));
  EXPECT_EQ(base.first("nv_inference_request_success")->label("model"), "tensorrt_llm");
  EXPECT_EQ(value(base, "nv_inference_pending_request_count"), 0.0);
}

TEST(PrometheusText, SpecialValuesTimestampsEscapesAndTolerances) {
  Exposition e = parse(
      "# a free comment\n"
      "\n"
      "# HELP m help with \\\\ and \\n escapes\r\n"
      "a_total +Inf\n"
      "b -Inf 1700000000000\n"
      "c NaN\n"
      "d{ x = \"q\\\"uote\\\\back\\nline\" , y=\"\",} 1.5e-3\t-42\n"
      "e{} 7\n"
      "# EOF\n"
      "ignored after EOF\n");
  EXPECT_TRUE(std::isinf(value(e, "a_total")) && value(e, "a_total") > 0);
  EXPECT_TRUE(std::isinf(value(e, "b")) && value(e, "b") < 0);
  EXPECT_EQ(e.first("b")->timestampMs, 1700000000000);
  EXPECT_TRUE(std::isnan(value(e, "c")));
  const Sample* d = e.first("d");
  EXPECT_EQ(d->label("x"), "q\"uote\\back\nline");
  EXPECT_EQ(d->labels.size(), 2u);
  EXPECT_EQ(d->value, 1.5e-3);
  EXPECT_EQ(d->timestampMs, -42);
  EXPECT_TRUE(e.first("e")->labels.empty());
  EXPECT_EQ(e.family("m")->help, "help with \\ and \n escapes");
  EXPECT_EQ(e.all().size(), 5u);
}

TEST(PrometheusText, EmptyBodyHasNoSamples) {
  EXPECT_TRUE(parse("").all().empty());
  EXPECT_TRUE(parse("# only a comment\n").all().empty());
}

TEST(PrometheusText, MalformedInputNamesLineAndColumn) {
  EXPECT_EQ(errorOf("a 1\nb 2"), "line 2, column 4: body ends without a newline (truncated?)");
  EXPECT_EQ(errorOf("a 1\nvllm:num_requests_wai\n"), "line 2, column 22: missing value");
  EXPECT_EQ(errorOf("a 12x\n"), "line 1, column 3: value '12x' is not a number");
  EXPECT_EQ(errorOf("a 0x10\n"), "line 1, column 3: value '0x10' is not a number");
  EXPECT_EQ(errorOf("a 1 2 3\n"), "line 1, column 7: unexpected text after the timestamp: '3'");
  EXPECT_EQ(errorOf("a 1 1.5\n"),
            "line 1, column 5: timestamp '1.5' is not an integer (milliseconds)");
  EXPECT_EQ(errorOf("1a 1\n"), "line 1, column 1: expected a metric name, got '1a 1'");
  EXPECT_EQ(errorOf("a{b=\"1\" 2\n"),
            "line 1, column 9: expected ',' or '}' after the value of label b");
  EXPECT_EQ(errorOf("a{b=\"1 2\n"), "line 1, column 9: value of label b is not closed with '\"'");
  EXPECT_EQ(errorOf("a{b=1} 2\n"), "line 1, column 5: expected '\"' to open the value of label b");
  EXPECT_EQ(errorOf("a{b=\"\\t\"} 2\n"),
            "line 1, column 6: unknown escape in the value of label b: only \\\\, \\\" and \\n");
  EXPECT_EQ(errorOf("a{b=\"1\",b=\"2\"} 2\n"), "line 1, column 9: label b appears twice");
  EXPECT_EQ(errorOf("a{9=\"1\"} 2\n"), "line 1, column 3: expected a label name, got '9=\"1\"} 2'");
  EXPECT_EQ(errorOf("a{b=\"1\"}2\n"),
            "line 1, column 9: expected a blank before the value, got '2'");
  EXPECT_EQ(errorOf("a{b=\"1\"} 2\na{b=\"1\"} 3\n"),
            "line 2, column 1: duplicate series a{b=\"1\"}");
  // The same series with its labels in another order is still the same series.
  EXPECT_EQ(errorOf("a{x=\"1\",y=\"2\"} 2\na{y=\"2\",x=\"1\"} 3\n"),
            "line 2, column 1: duplicate series a{x=\"1\",y=\"2\"}");
  EXPECT_EQ(errorOf("# TYPE a gauge\n# TYPE a counter\n"),
            "line 2, column 10: second # TYPE line for a");
  EXPECT_EQ(errorOf("# TYPE a meter\n"), "line 1, column 10: unknown metric type 'meter' for a");
  EXPECT_EQ(errorOf("# HELP\n"), "line 1, column 7: expected metric name after # HELP, got ''");
  EXPECT_EQ(errorOf("<html>\n"), "line 1, column 1: expected a metric name, got '<html>'");
}

TEST(PrometheusText, ErrorCarriesPosition) {
  try {
    parse("ok 1\nbad value\n");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 5);
  }
}

TEST(PrometheusText, ContentTypes) {
  EXPECT_EQ(checkContentType("text/plain; version=0.0.4; charset=utf-8"), "");
  EXPECT_EQ(checkContentType("application/openmetrics-text; version=1.0.0"), "");
  EXPECT_EQ(checkContentType(""), "");
  EXPECT_EQ(checkContentType("Text/Plain"), "");
  EXPECT_EQ(checkContentType("text/html; charset=utf-8"),
            "content type 'text/html; charset=utf-8' is not Prometheus text (text/plain or "
            "application/openmetrics-text)");
}

TEST(PrometheusText, SplitList) {
  EXPECT_EQ(splitList("lora4,lora2"), (std::vector<std::string>{"lora4", "lora2"}));
  EXPECT_EQ(splitList(""), std::vector<std::string>{});
  EXPECT_EQ(splitList(" a , ,b,"), (std::vector<std::string>{"a", "b"}));
}

// ParseOptions::keep: only the named samples are parsed; the rest of the page (here a real
// vLLM page's histograms) is skipped, even a line that would not parse; what is kept is as
// strict as ever.
TEST(PrometheusText, KeepParsesOnlyTheNamedSamples) {
  const std::string page = fixture("vllm/v0.26.0-llmd-router-offload-connector.prom");
  const Exposition all = parse(page);
  ParseOptions only;
  only.keep = [](std::string_view name) {
    return name == "vllm:num_requests_waiting" || name == "vllm:kv_cache_usage_perc";
  };
  const Exposition kept = parse(page, only);
  ASSERT_GT(all.all().size(), 40u);
  EXPECT_EQ(kept.all().size(), all.samples("vllm:num_requests_waiting").size() +
                                   all.samples("vllm:kv_cache_usage_perc").size());
  EXPECT_EQ(value(kept, "vllm:num_requests_waiting"), value(all, "vllm:num_requests_waiting"));
  EXPECT_EQ(value(kept, "vllm:kv_cache_usage_perc"), value(all, "vllm:kv_cache_usage_perc"));
  EXPECT_FALSE(kept.has("vllm:e2e_request_latency_seconds_bucket"));
  EXPECT_EQ(kept.familyCount(), all.familyCount());  // HELP / TYPE still read

  const std::string broken = "other_metric{le=\"1\" 12 garbage\nwanted 3\n";
  ParseOptions wanted;
  wanted.keep = [](std::string_view name) { return name == "wanted"; };
  EXPECT_EQ(value(parse(broken, wanted), "wanted"), 3);
  EXPECT_THROW(parse(broken), ParseError);
  try {
    parse("wanted 1\nwanted 2\n", wanted);
    FAIL() << "a duplicate kept series must fail";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("duplicate series"));
  }
  EXPECT_THROW(parse("wanted 1x\n", wanted), ParseError);
}

}  // namespace
}  // namespace epp::cpp::prom

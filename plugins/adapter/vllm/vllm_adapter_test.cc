#include "plugins/adapter/vllm/vllm_adapter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using ::testing::ElementsAre;
using testing::FakeHost;
using ::testing::HasSubstr;
using testing::ParamValue;
using testing::ParsedMetrics;

constexpr uint32_t kAllNumeric =
    EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_RUNNING | EPP_METRICS_HAS_KV_USAGE |
    EPP_METRICS_HAS_MAX_LORAS | EPP_METRICS_HAS_CACHE_BLOCK_SIZE | EPP_METRICS_HAS_CACHE_NUM_BLOCKS;

std::string fixture(const std::string& relative) {
  std::filesystem::path path = std::filesystem::path(EPP_METRICS_FIXTURES) / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class VllmAdapterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(ParamValue params = {}) {
    return host_.create(host_.load(&eppVllmAdapterEntry), "vllm", std::move(params));
  }
  ParsedMetrics parse(const std::string& body,
                      const std::string& contentType = "text/plain; version=0.0.4") {
    return adapter_->parseMetrics(body, contentType);
  }

  FakeHost host_;
  std::unique_ptr<testing::FakeInstance> adapter_ = make();
};

TEST_F(VllmAdapterTest, InfoNamesTheVllmPaths) {
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  epp_backend_info info = adapter_->info();
  EXPECT_EQ(adapter_->status(), EPP_OK);
  EXPECT_EQ(cpp::view(info.metrics_path), "/metrics");
  EXPECT_EQ(cpp::view(info.health_path), "/health");
  EXPECT_EQ(cpp::view(info.models_path), "/v1/models");
}

TEST_F(VllmAdapterTest, V0EngineOldKvNameLoraInfoAndCacheConfig) {
  ParsedMetrics m = parse(fixture("vllm/v0-engine-aibrix-runtime-doc.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present & kAllNumeric, kAllNumeric);
  EXPECT_EQ(m.metrics.waiting_requests, 0);
  EXPECT_EQ(m.metrics.running_requests, 0);
  EXPECT_EQ(m.metrics.kv_cache_usage, 0.0);
  EXPECT_EQ(m.metrics.max_loras, 0);
  EXPECT_TRUE(m.activeLoras.empty());
  EXPECT_TRUE(m.waitingLoras.empty());
  EXPECT_EQ(m.metrics.cache_block_size, 16);
  EXPECT_EQ(m.metrics.cache_num_blocks, 81767);
  EXPECT_EQ(m.labels["model_name"], "Qwen/Qwen2.5-Coder-1.5B-Instruct");
}

TEST_F(VllmAdapterTest, V1CapturesWithoutRunningOrLora) {
  for (const char* file :
       {"vllm/v0.26.0-llmd-router-none.prom", "vllm/v0.26.0-llmd-router-offload-flag.prom",
        "vllm/v0.26.0-llmd-router-offload-connector.prom"}) {
    ParsedMetrics m = parse(fixture(file));
    ASSERT_EQ(m.status, EPP_OK) << file << ": " << m.error;
    EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_KV_USAGE |
                                     EPP_METRICS_HAS_CACHE_BLOCK_SIZE |
                                     EPP_METRICS_HAS_CACHE_NUM_BLOCKS)
        << file;
    EXPECT_EQ(m.metrics.waiting_requests, 0) << file;
    EXPECT_EQ(m.metrics.kv_cache_usage, 0.0) << file;
    EXPECT_EQ(m.metrics.cache_block_size, 16) << file;
    EXPECT_EQ(m.metrics.cache_num_blocks, 74272) << file;
    EXPECT_EQ(m.labels["model_name"], "Qwen/Qwen3-0.6B") << file;
  }
}

TEST_F(VllmAdapterTest, SimulatorLoraLinesNewestSeriesWins) {
  ParsedMetrics m = parse(fixture("vllm/llmd-inference-sim-fake-lora-lines.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_MAX_LORAS | EPP_METRICS_HAS_LORAS);
  EXPECT_EQ(m.metrics.max_loras, 1);
  // 1.257894569e+09 is newer than 1.257894567e+09.
  EXPECT_THAT(m.activeLoras, ElementsAre("lora4", "lora3"));
  EXPECT_TRUE(m.waitingLoras.empty());
}

TEST_F(VllmAdapterTest, NewestLoraSeriesWinsWhateverItsPosition) {
  ParsedMetrics m = parse(
      "vllm:lora_requests_info{max_lora=\"4\",running_lora_adapters=\"a\",waiting_lora_adapters="
      "\"\"} 1.7e+09\n"
      "vllm:lora_requests_info{max_lora=\"4\",running_lora_adapters=\"b,c\",waiting_lora_adapters="
      "\"d\"} 1.9e+09\n"
      "vllm:lora_requests_info{max_lora=\"4\",running_lora_adapters=\"e\",waiting_lora_adapters="
      "\"\"} 1.8e+09\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.max_loras, 4);
  EXPECT_THAT(m.activeLoras, ElementsAre("b", "c"));
  EXPECT_THAT(m.waitingLoras, ElementsAre("d"));
}

TEST_F(VllmAdapterTest, NewNameWinsOverOldAndEnginesAddUp) {
  ParsedMetrics m = parse(
      "vllm:num_requests_waiting{engine=\"0\",model_name=\"m\"} 3.0\n"
      "vllm:num_requests_waiting{engine=\"1\",model_name=\"m\"} 4.0\n"
      "vllm:num_requests_running{engine=\"0\",model_name=\"m\"} 2.0\n"
      "vllm:num_requests_running{engine=\"1\",model_name=\"m\"} 5.0\n"
      "vllm:gpu_cache_usage_perc{model_name=\"m\"} 0.9\n"
      "vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"m\"} 0.25\n"
      "vllm:kv_cache_usage_perc{engine=\"1\",model_name=\"m\"} 0.75\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.waiting_requests, 7);
  EXPECT_EQ(m.metrics.running_requests, 7);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.5);
}

TEST_F(VllmAdapterTest, MalformedBodiesFailWithTheReason) {
  ParsedMetrics truncated = parse("vllm:num_requests_waiting 3\nvllm:num_requests_run");
  EXPECT_EQ(truncated.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(truncated.error, "line 2, column 22: body ends without a newline (truncated?)");
  ParsedMetrics nan = parse("vllm:num_requests_waiting NaN\n");
  EXPECT_EQ(nan.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(nan.error, "vllm:num_requests_waiting (line 1): nan is not a count");
  ParsedMetrics kv = parse("vllm:kv_cache_usage_perc 1.5\n");
  EXPECT_EQ(kv.error,
            "vllm:kv_cache_usage_perc (line 1): KV-cache usage 1.500000 is outside [0, 1]");
  ParsedMetrics dup = parse("vllm:num_requests_waiting 1\nvllm:num_requests_waiting 2\n");
  EXPECT_EQ(dup.error, "line 2, column 1: duplicate series vllm:num_requests_waiting{}");
  ParsedMetrics html = parse("<html></html>\n", "text/html");
  EXPECT_EQ(html.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(html.error, HasSubstr("content type 'text/html' is not Prometheus text"));
  ParsedMetrics slots =
      parse("vllm:lora_requests_info{max_lora=\"many\",running_lora_adapters=\"\"} 1.0\n");
  EXPECT_EQ(slots.error, "vllm:lora_requests_info (line 1): max_lora 'many' is not an integer");
}

// Found by the Prometheus fuzzer (tests/fuzz): a queue of 3e59 became llround's result for a
// value out of its range, a negative count; series adding up past int64 overflowed.
TEST_F(VllmAdapterTest, CountsTooLargeForAnIntegerFail) {
  ParsedMetrics huge = parse("vllm:num_requests_waiting{engine=\"0\"} 3e59\n");
  EXPECT_EQ(huge.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(huge.error, ::testing::StartsWith("vllm:num_requests_waiting (line 1): 3000"));
  EXPECT_THAT(huge.error, ::testing::EndsWith(" is not a count"));
  ParsedMetrics sum = parse(
      "vllm:num_requests_running{engine=\"0\"} 9e15\n"
      "vllm:num_requests_running{engine=\"1\"} 9e15\n");
  EXPECT_EQ(sum.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sum.error,
            "vllm:num_requests_running (line 2): the series of vllm:num_requests_running add up "
            "to more than a count");
  ParsedMetrics largest = parse("vllm:num_requests_waiting 9007199254740992\n");
  EXPECT_EQ(largest.status, EPP_OK) << largest.error;
  EXPECT_EQ(largest.metrics.waiting_requests, int64_t{1} << 53);
}

TEST_F(VllmAdapterTest, CustomMetricNamesAndDisabledFields) {
  adapter_ = make(ParamValue::map({{"waitingMetric", "my:queue"},
                                   {"runningMetric", ""},
                                   {"kvCacheUsageMetrics", ParamValue::list({"my:kv"})},
                                   {"cacheConfigMetric", ""}}));
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  ParsedMetrics m =
      parse(fixture("vllm/v0-engine-aibrix-runtime-doc.prom") + "my:queue 9\nmy:kv 0.5\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present,
            EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_KV_USAGE | EPP_METRICS_HAS_MAX_LORAS);
  EXPECT_EQ(m.metrics.waiting_requests, 9);
  EXPECT_EQ(m.metrics.kv_cache_usage, 0.5);
}

TEST_F(VllmAdapterTest, BadParametersAreRejected) {
  EXPECT_EQ(make(ParamValue::map({{"metricsPath", "metrics"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("metricsPath must start with '/', got 'metrics'"));
  EXPECT_EQ(make(ParamValue::map({{"queueMetric", "x"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("unknown parameter \"queueMetric\""));
}

TEST_F(VllmAdapterTest, HealthFromTheHttpStatus) {
  EXPECT_EQ(adapter_->checkHealth(200), EPP_HEALTH_HEALTHY);
  EXPECT_EQ(adapter_->checkHealth(204), EPP_HEALTH_HEALTHY);
  EXPECT_EQ(adapter_->checkHealth(500), EPP_HEALTH_UNHEALTHY);
  EXPECT_EQ(adapter_->checkHealth(503), EPP_HEALTH_UNHEALTHY);
}

TEST_F(VllmAdapterTest, DetectsVllmFromOwnedBy) {
  EXPECT_TRUE(adapter_->detect(
      R"({"object":"list","data":[{"id":"Qwen/Qwen3-0.6B","object":"model","owned_by":"vllm"}]})"));
  EXPECT_FALSE(adapter_->detect(R"({"object":"list","data":[{"id":"x","owned_by":"sglang"}]})"));
  EXPECT_FALSE(adapter_->detect(R"({"data":[]})"));
  EXPECT_FALSE(adapter_->detect("not json"));
  EXPECT_EQ(adapter_->status(), EPP_ERR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace epp::plugins

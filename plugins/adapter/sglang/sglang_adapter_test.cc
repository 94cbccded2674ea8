#include "plugins/adapter/sglang/sglang_adapter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::FakeHost;
using ::testing::HasSubstr;
using testing::ParamValue;
using testing::ParsedMetrics;

std::string fixture(const std::string& relative) {
  std::filesystem::path path = std::filesystem::path(EPP_METRICS_FIXTURES) / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SglangAdapterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(ParamValue params = {}) {
    return host_.create(host_.load(&eppSglangAdapterEntry), "sglang", std::move(params));
  }
  ParsedMetrics parse(const std::string& body,
                      const std::string& contentType = "text/plain; version=0.0.4") {
    return adapter_->parseMetrics(body, contentType);
  }

  FakeHost host_;
  std::unique_ptr<testing::FakeInstance> adapter_ = make();
};

TEST_F(SglangAdapterTest, InfoNamesTheSglangPaths) {
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  epp_backend_info info = adapter_->info();
  EXPECT_EQ(cpp::view(info.metrics_path), "/metrics");
  EXPECT_EQ(cpp::view(info.health_path), "/health");
  EXPECT_EQ(cpp::view(info.models_path), "/v1/models");
}

TEST_F(SglangAdapterTest, ProductionDocsPageQueueBatchAndUsage) {
  ParsedMetrics m = parse(fixture("sglang/docs-production-metrics-llama31-8b.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present,
            EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_RUNNING | EPP_METRICS_HAS_KV_USAGE);
  EXPECT_EQ(m.metrics.waiting_requests, 2826);
  EXPECT_EQ(m.metrics.running_requests, 162);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.28);
  EXPECT_EQ(m.labels["model_name"], "meta-llama/Llama-3.1-8B-Instruct");
}

TEST_F(SglangAdapterTest, V059CaptureHasCacheConfig) {
  ParsedMetrics m = parse(fixture("sglang/v0.5.9-hicache-llmd-router.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_KV_USAGE |
                                   EPP_METRICS_HAS_CACHE_BLOCK_SIZE |
                                   EPP_METRICS_HAS_CACHE_NUM_BLOCKS);
  EXPECT_EQ(m.metrics.waiting_requests, 0);
  EXPECT_EQ(m.metrics.kv_cache_usage, 0.0);
  EXPECT_EQ(m.metrics.cache_block_size, 1);
  EXPECT_EQ(m.metrics.cache_num_blocks, 200000);
  EXPECT_EQ(m.labels["model_name"], "Qwen/Qwen3-0.6B");
}

TEST_F(SglangAdapterTest, V0516CaptureWithoutCacheConfig) {
  ParsedMetrics m = parse(fixture("sglang/v0.5.16-hicache-llmd-router.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_KV_USAGE);
  EXPECT_EQ(m.metrics.waiting_requests, 0);
  EXPECT_EQ(m.metrics.kv_cache_usage, 0.0);
}

TEST_F(SglangAdapterTest, RanksAddUpAndUsageIsTheMean) {
  ParsedMetrics m = parse(
      "sglang:num_queue_reqs{model_name=\"m\",tp_rank=\"0\"} 3\n"
      "sglang:num_queue_reqs{model_name=\"m\",tp_rank=\"1\"} 4\n"
      "sglang:num_running_reqs{model_name=\"m\",tp_rank=\"0\"} 1\n"
      "sglang:num_running_reqs{model_name=\"m\",tp_rank=\"1\"} 2\n"
      "sglang:token_usage{model_name=\"m\",tp_rank=\"0\"} 0.2\n"
      "sglang:token_usage{model_name=\"m\",tp_rank=\"1\"} 0.6\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.waiting_requests, 7);
  EXPECT_EQ(m.metrics.running_requests, 3);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.4);
}

TEST_F(SglangAdapterTest, MalformedBodiesFailWithTheReason) {
  ParsedMetrics truncated = parse("sglang:num_queue_reqs 3\nsglang:num_run");
  EXPECT_EQ(truncated.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(truncated.error, "line 2, column 15: body ends without a newline (truncated?)");
  ParsedMetrics negative = parse("sglang:num_queue_reqs -1\n");
  EXPECT_EQ(negative.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(negative.error, "sglang:num_queue_reqs (line 1): -1.000000 is not a count");
  ParsedMetrics usage = parse("sglang:token_usage 1.25\n");
  EXPECT_EQ(usage.error, "sglang:token_usage (line 1): KV-cache usage 1.250000 is outside [0, 1]");
  ParsedMetrics pages =
      parse("sglang:cache_config_info{num_pages=\"lots\",page_size=\"16\"} 1.0\n");
  EXPECT_EQ(pages.error, "sglang:cache_config_info (line 1): num_pages 'lots' is not an integer");
  ParsedMetrics json = parse("{}\n", "application/json");
  EXPECT_EQ(json.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(json.error, HasSubstr("content type 'application/json' is not Prometheus text"));
}

TEST_F(SglangAdapterTest, CustomMetricNamesAndDisabledFields) {
  adapter_ = make(ParamValue::map(
      {{"waitingMetric", "my:queue"}, {"runningMetric", ""}, {"cacheConfigMetric", ""}}));
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  ParsedMetrics m = parse(fixture("sglang/v0.5.9-hicache-llmd-router.prom") + "my:queue 9\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_KV_USAGE);
  EXPECT_EQ(m.metrics.waiting_requests, 9);
}

TEST_F(SglangAdapterTest, BadParametersAreRejected) {
  EXPECT_EQ(make(ParamValue::map({{"healthPath", "health"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("healthPath must start with '/', got 'health'"));
  EXPECT_EQ(make(ParamValue::map({{"kvCacheUsageMetrics", "x"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("unknown parameter \"kvCacheUsageMetrics\""));
}

TEST_F(SglangAdapterTest, HealthAndDetection) {
  EXPECT_EQ(adapter_->checkHealth(200), EPP_HEALTH_HEALTHY);
  EXPECT_EQ(adapter_->checkHealth(503), EPP_HEALTH_UNHEALTHY);
  EXPECT_TRUE(adapter_->detect(R"({"object":"list","data":[{"id":"q","owned_by":"sglang"}]})"));
  EXPECT_FALSE(adapter_->detect(R"({"object":"list","data":[{"id":"q","owned_by":"vllm"}]})"));
  EXPECT_FALSE(adapter_->detect("[]"));
  EXPECT_EQ(adapter_->status(), EPP_ERR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace epp::plugins

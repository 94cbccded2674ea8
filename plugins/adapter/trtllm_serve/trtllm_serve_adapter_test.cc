#include "plugins/adapter/trtllm_serve/trtllm_serve_adapter.h"

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

constexpr uint32_t kCacheFields =
    EPP_METRICS_HAS_KV_USAGE | EPP_METRICS_HAS_CACHE_BLOCK_SIZE | EPP_METRICS_HAS_CACHE_NUM_BLOCKS;

std::string fixture(const std::string& relative) {
  std::filesystem::path path = std::filesystem::path(EPP_METRICS_FIXTURES) / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TrtllmServeAdapterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(ParamValue params = {}) {
    return host_.create(host_.load(&eppTrtllmServeAdapterEntry), "trtllm-serve", std::move(params));
  }
  ParsedMetrics parse(const std::string& body,
                      const std::string& contentType = "text/plain; version=0.0.4") {
    return adapter_->parseMetrics(body, contentType);
  }

  FakeHost host_;
  std::unique_ptr<testing::FakeInstance> adapter_ = make();
};

TEST_F(TrtllmServeAdapterTest, MetricsLiveUnderPrometheus) {
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  epp_backend_info info = adapter_->info();
  EXPECT_EQ(cpp::view(info.metrics_path), "/prometheus/metrics");
  EXPECT_EQ(cpp::view(info.health_path), "/health");
  EXPECT_EQ(cpp::view(info.models_path), "/v1/models");
}

TEST_F(TrtllmServeAdapterTest, HostCacheCaptureUsageAndGeometry) {
  ParsedMetrics m =
      parse(fixture("trtllm/trtllm-serve-1.3.0rc23-legacy-hostcache-llmd-router.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, kCacheFields);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.055374130342183726);
  EXPECT_EQ(m.metrics.cache_block_size, 32);
  EXPECT_EQ(m.metrics.cache_num_blocks, 21129);
  EXPECT_EQ(m.labels["model_name"], "Qwen/Qwen3-0.6B");
}

TEST_F(TrtllmServeAdapterTest, IdleCaptures) {
  for (auto [file, blocks] :
       {std::pair{"trtllm/trtllm-serve-1.3.0rc23-legacy-nohost-llmd-router.prom", 19960},
        {"trtllm/trtllm-serve-1.3.0rc23-v2-llmd-router.prom", 19958}}) {
    ParsedMetrics m = parse(fixture(file));
    ASSERT_EQ(m.status, EPP_OK) << file << ": " << m.error;
    EXPECT_EQ(m.metrics.present, kCacheFields) << file;
    EXPECT_EQ(m.metrics.kv_cache_usage, 0.0) << file;
    EXPECT_EQ(m.metrics.cache_block_size, 32) << file;
    EXPECT_EQ(m.metrics.cache_num_blocks, blocks) << file;
  }
}

TEST_F(TrtllmServeAdapterTest, QueueAndBatchWhenExposed) {
  ParsedMetrics m = parse(
      "trtllm_num_requests_waiting{model_name=\"m\"} 5\n"
      "trtllm_num_requests_running{model_name=\"m\"} 8\n"
      "trtllm_kv_cache_utilization{model_name=\"m\"} 0.75\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present,
            EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_RUNNING | EPP_METRICS_HAS_KV_USAGE);
  EXPECT_EQ(m.metrics.waiting_requests, 5);
  EXPECT_EQ(m.metrics.running_requests, 8);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.75);
}

TEST_F(TrtllmServeAdapterTest, MalformedBodiesFailWithTheReason) {
  // The JSON /metrics page, scraped by mistake.
  ParsedMetrics json = parse("[{\"gpuMemUsage\": 1}]\n", "application/json");
  EXPECT_EQ(json.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(json.error, HasSubstr("content type 'application/json' is not Prometheus text"));
  ParsedMetrics blocks = parse("trtllm_kv_cache_max_blocks NaN\n");
  EXPECT_EQ(blocks.error, "trtllm_kv_cache_max_blocks (line 1): nan is not a count");
  ParsedMetrics usage = parse("trtllm_kv_cache_utilization -0.5\n");
  EXPECT_EQ(usage.error,
            "trtllm_kv_cache_utilization (line 1): KV-cache usage -0.500000 is outside [0, 1]");
  ParsedMetrics truncated = parse("trtllm_kv_cache_utilization 0.5");
  EXPECT_EQ(truncated.error, "line 1, column 32: body ends without a newline (truncated?)");
}

TEST_F(TrtllmServeAdapterTest, CustomMetricNamesAndDisabledFields) {
  adapter_ = make(ParamValue::map({{"blockSizeMetric", ""}, {"numBlocksMetric", "my:blocks"}}));
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  ParsedMetrics m =
      parse(fixture("trtllm/trtllm-serve-1.3.0rc23-v2-llmd-router.prom") + "my:blocks 77\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_KV_USAGE | EPP_METRICS_HAS_CACHE_NUM_BLOCKS);
  EXPECT_EQ(m.metrics.cache_num_blocks, 77);
}

TEST_F(TrtllmServeAdapterTest, BadParametersAndHealth) {
  EXPECT_EQ(make(ParamValue::map({{"metricsPath", "prometheus/metrics"}})), nullptr);
  EXPECT_THAT(host_.lastError(),
              HasSubstr("metricsPath must start with '/', got 'prometheus/metrics'"));
  EXPECT_EQ(adapter_->checkHealth(200), EPP_HEALTH_HEALTHY);
  EXPECT_EQ(adapter_->checkHealth(500), EPP_HEALTH_UNHEALTHY);
}

}  // namespace
}  // namespace epp::plugins

#include "plugins/adapter/triton_tensorrt_llm/triton_tensorrt_llm_adapter.h"

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

constexpr uint32_t kAllFields = EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_RUNNING |
                                EPP_METRICS_HAS_KV_USAGE | EPP_METRICS_HAS_CACHE_BLOCK_SIZE |
                                EPP_METRICS_HAS_CACHE_NUM_BLOCKS;

std::string fixture(const std::string& relative) {
  std::filesystem::path path = std::filesystem::path(EPP_METRICS_FIXTURES) / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TritonTensorrtLlmAdapterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(ParamValue params = {}) {
    return host_.create(host_.load(&eppTritonTensorrtLlmAdapterEntry), "triton-tensorrt-llm",
                        std::move(params));
  }
  ParsedMetrics parse(const std::string& body,
                      const std::string& contentType = "text/plain; version=0.0.4") {
    return adapter_->parseMetrics(body, contentType);
  }

  FakeHost host_;
  std::unique_ptr<testing::FakeInstance> adapter_ = make();
};

TEST_F(TritonTensorrtLlmAdapterTest, InfoNamesTheTritonPaths) {
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  epp_backend_info info = adapter_->info();
  EXPECT_EQ(cpp::view(info.metrics_path), "/metrics");
  EXPECT_EQ(cpp::view(info.health_path), "/v2/health/ready");
  EXPECT_EQ(cpp::view(info.models_path), "");
}

TEST_F(TritonTensorrtLlmAdapterTest, InflightBatcherReadmePage) {
  ParsedMetrics m = parse(fixture("triton/tensorrtllm-backend-readme-inflight-batcher.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, kAllFields);
  EXPECT_EQ(m.metrics.waiting_requests, 1);
  EXPECT_EQ(m.metrics.running_requests, 1);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.4875);
  EXPECT_EQ(m.metrics.cache_block_size, 64);
  EXPECT_EQ(m.metrics.cache_num_blocks, 6239);
  EXPECT_EQ(m.labels["model"], "tensorrt_llm");
}

TEST_F(TritonTensorrtLlmAdapterTest, BasePageWithoutTrtLlmFamiliesReportsNothing) {
  ParsedMetrics m = parse(fixture("triton/tensorrtllm-backend-readme-base-nv-inference.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, 0u);
}

TEST_F(TritonTensorrtLlmAdapterTest, ModelsAddUpAndUsageIsTheMean) {
  ParsedMetrics m = parse(
      "nv_trt_llm_request_metrics{model=\"a\",request_type=\"waiting\",version=\"1\"} 2\n"
      "nv_trt_llm_request_metrics{model=\"b\",request_type=\"waiting\",version=\"1\"} 5\n"
      "nv_trt_llm_request_metrics{model=\"a\",request_type=\"scheduled\",version=\"1\"} 3\n"
      "nv_trt_llm_request_metrics{model=\"a\",request_type=\"active\",version=\"1\"} 40\n"
      "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"fraction\",model=\"a\"} 0.1\n"
      "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"fraction\",model=\"b\"} 0.5\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present,
            EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_RUNNING | EPP_METRICS_HAS_KV_USAGE);
  EXPECT_EQ(m.metrics.waiting_requests, 7);
  EXPECT_EQ(m.metrics.running_requests, 3);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.3);
}

TEST_F(TritonTensorrtLlmAdapterTest, MalformedBodiesFailWithTheReason) {
  ParsedMetrics waiting = parse("nv_trt_llm_request_metrics{request_type=\"waiting\"} -2\n");
  EXPECT_EQ(waiting.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(waiting.error, "nv_trt_llm_request_metrics (line 1): -2.000000 is not a count");
  ParsedMetrics usage =
      parse("nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"fraction\"} 48.75\n");
  EXPECT_EQ(usage.error,
            "nv_trt_llm_kv_cache_block_metrics (line 1): KV-cache usage 48.750000 is outside "
            "[0, 1]");
  ParsedMetrics label = parse("nv_trt_llm_request_metrics{request_type=\"waiting} 1\n");
  EXPECT_EQ(label.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(label.error, HasSubstr("line 1, column"));
  ParsedMetrics html = parse("<html/>\n", "text/html");
  EXPECT_THAT(html.error, HasSubstr("content type 'text/html' is not Prometheus text"));
}

TEST_F(TritonTensorrtLlmAdapterTest, CustomLabelValuesAndDisabledFields) {
  adapter_ = make(ParamValue::map(
      {{"runningRequestType", "active"}, {"waitingRequestType", ""}, {"numBlocksBlockType", ""}}));
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  ParsedMetrics m = parse(fixture("triton/tensorrtllm-backend-readme-inflight-batcher.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present,
            EPP_METRICS_HAS_RUNNING | EPP_METRICS_HAS_KV_USAGE | EPP_METRICS_HAS_CACHE_BLOCK_SIZE);
  EXPECT_EQ(m.metrics.running_requests, 0);
}

TEST_F(TritonTensorrtLlmAdapterTest, BadParametersAndHealth) {
  EXPECT_EQ(make(ParamValue::map({{"healthPath", "v2/health/ready"}})), nullptr);
  EXPECT_THAT(host_.lastError(),
              HasSubstr("healthPath must start with '/', got 'v2/health/ready'"));
  EXPECT_EQ(make(ParamValue::map({{"waitingMetric", "x"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("unknown parameter \"waitingMetric\""));
  EXPECT_EQ(adapter_->checkHealth(200), EPP_HEALTH_HEALTHY);
  EXPECT_EQ(adapter_->checkHealth(400), EPP_HEALTH_UNHEALTHY);
}

}  // namespace
}  // namespace epp::plugins

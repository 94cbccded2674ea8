#include "plugins/adapter/metric_spec/metric_spec_adapter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "epp/cpp/metric_spec.h"
#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using ::testing::ElementsAre;
using testing::FakeHost;
using ::testing::HasSubstr;
using testing::ParamValue;
namespace prom = cpp::prom;

std::string fixture(const std::string& relative) {
  std::filesystem::path path = std::filesystem::path(EPP_METRICS_FIXTURES) / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The reference's built-in triton-tensorrt-llm engine config, written as engineConfigs.
ParamValue tritonSpecs() {
  return ParamValue::map({
      {"name", "my-triton"},
      {"queuedRequestsSpec", "nv_trt_llm_request_metrics{request_type=waiting}"},
      {"runningRequestsSpec", "nv_trt_llm_request_metrics{request_type=scheduled}"},
      {"kvUsageSpec", "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}"},
      {"cacheBlockSizeSpec", "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=tokens_per}"},
      {"cacheNumBlocksSpec", "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"max\"}"},
      {"healthPath", "/v2/health/ready"},
  });
}

TEST(MetricSpecTest, ParsesNamesAndEqualityMatchers) {
  auto spec = prom::MetricSpec::parse(" custom_queue{status=\"waiting\", tier=gold} ");
  EXPECT_EQ(spec.name(), "custom_queue");
  ASSERT_EQ(spec.matchers().size(), 2u);
  EXPECT_EQ(spec.matchers()[0].second, "waiting");
  EXPECT_EQ(spec.matchers()[1].second, "gold");
  EXPECT_EQ(spec.str(), "custom_queue{status=\"waiting\",tier=\"gold\"}");
  EXPECT_FALSE(prom::MetricSpec::parse("").enabled());
  EXPECT_TRUE(prom::MetricSpec::parse("vllm:num_requests_waiting").enabled());
}

TEST(MetricSpecTest, RefusesWhatItCannotMatch) {
  for (const char* bad :
       {"9lives", "x{a=b", "x{a}", "x{a!=b}", "x{a=~b}", "x{a=\"b}", "x{bad-label=b}"}) {
    EXPECT_THROW(prom::MetricSpec::parse(bad), prom::SpecError) << bad;
  }
}

class MetricSpecAdapterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(ParamValue params) {
    return host_.create(host_.load(&eppMetricSpecAdapterEntry), "metric-spec-adapter",
                        std::move(params));
  }
  FakeHost host_;
};

TEST_F(MetricSpecAdapterTest, TritonSpecsReadTheTritonFixture) {
  auto adapter = make(tritonSpecs());
  ASSERT_NE(adapter, nullptr) << host_.lastError();
  EXPECT_EQ(cpp::view(adapter->info().health_path), "/v2/health/ready");
  auto m =
      adapter->parseMetrics(fixture("triton/tensorrtllm-backend-readme-inflight-batcher.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.waiting_requests, 1);
  EXPECT_EQ(m.metrics.running_requests, 1);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.4875);
  EXPECT_EQ(m.metrics.cache_block_size, 64);
  EXPECT_EQ(m.metrics.cache_num_blocks, 6239);
}

TEST_F(MetricSpecAdapterTest, LoraSpecTakesTheNewestSeries) {
  auto adapter = make(ParamValue::map({{"name", "sim"}, {"loraSpec", "vllm:lora_requests_info"}}));
  ASSERT_NE(adapter, nullptr) << host_.lastError();
  auto m = adapter->parseMetrics(fixture("vllm/llmd-inference-sim-fake-lora-lines.prom"));
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.max_loras, 1);
  EXPECT_THAT(m.activeLoras, ElementsAre("lora4", "lora3"));
  EXPECT_TRUE(m.waitingLoras.empty());
}

TEST_F(MetricSpecAdapterTest, CustomMetricsBecomeLabelsAndMissingOnesFailUnlessOptional) {
  auto adapter = make(ParamValue::map({
      {"name", "custom"},
      {"queuedRequestsSpec", "custom_queue_size{status=waiting}"},
      {"customMetrics",
       ParamValue::list({ParamValue::map({{"attributeKey", "custom.depth"},
                                          {"metricSpec", "custom_depth{tier=gold}"}}),
                         ParamValue::map({{"attributeKey", "custom.temp"},
                                          {"metricSpec", "gpu_temp"},
                                          {"optional", true}})})},
  }));
  ASSERT_NE(adapter, nullptr) << host_.lastError();
  auto m = adapter->parseMetrics(
      "custom_queue_size{status=\"waiting\"} 4\ncustom_queue_size{status=\"done\"} 90\n"
      "custom_depth{tier=\"silver\"} 1\ncustom_depth{tier=\"gold\"} 2.5\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.waiting_requests, 4);
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_WAITING);
  EXPECT_EQ(m.labels["custom.depth"], "2.5");
  EXPECT_EQ(m.labels.count("custom.temp"), 0u);

  auto missing = adapter->parseMetrics("custom_queue_size{status=\"waiting\"} 4\n");
  EXPECT_NE(missing.status, EPP_OK);
  EXPECT_THAT(missing.error, HasSubstr("custom metric 'custom.depth'"));
}

TEST_F(MetricSpecAdapterTest, EmptySpecsDisableFields) {
  auto adapter = make(ParamValue::map({{"name", "half"}, {"runningRequestsSpec", "r"}}));
  ASSERT_NE(adapter, nullptr) << host_.lastError();
  auto m = adapter->parseMetrics("w 3\nr 2\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_RUNNING);
  EXPECT_EQ(m.metrics.running_requests, 2);
}

TEST_F(MetricSpecAdapterTest, BadParametersFailAtCreate) {
  EXPECT_EQ(make(ParamValue::map({{"queuedRequestsSpec", "q"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("engine config name is required"));
  EXPECT_EQ(make(ParamValue::map({{"name", "x"}, {"kvUsageSpec", "kv{a!=b}"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("kvUsageSpec"));
  EXPECT_EQ(make(ParamValue::map({{"name", "x"}, {"queueSpec", "q"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("unknown parameter \"queueSpec\""));
  EXPECT_EQ(make(ParamValue::map({{"name", "default"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("reserved"));
}

}  // namespace
}  // namespace epp::plugins

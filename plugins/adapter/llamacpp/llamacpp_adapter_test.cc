#include "plugins/adapter/llamacpp/llamacpp_adapter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::FakeHost;
using ::testing::HasSubstr;
using testing::ParamValue;
using testing::ParsedMetrics;

// A llama-server --metrics page in the shape tools/sim renders for the llamacpp dialect
// (no labels, %g numbers), with the kv_cache_usage_ratio gauge older builds add.
constexpr const char* kPage =
    "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n"
    "# TYPE llamacpp:prompt_tokens_total counter\n"
    "llamacpp:prompt_tokens_total 33065\n"
    "# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.\n"
    "# TYPE llamacpp:tokens_predicted_total counter\n"
    "llamacpp:tokens_predicted_total 7801\n"
    "# HELP llamacpp:n_busy_slots_per_decode Average number of busy slots per llama_decode() "
    "call\n"
    "# TYPE llamacpp:n_busy_slots_per_decode gauge\n"
    "llamacpp:n_busy_slots_per_decode 1.5\n"
    "# HELP llamacpp:kv_cache_usage_ratio KV-cache usage. 1 means 100 percent usage.\n"
    "# TYPE llamacpp:kv_cache_usage_ratio gauge\n"
    "llamacpp:kv_cache_usage_ratio 0.125\n"
    "# HELP llamacpp:requests_processing Number of requests processing.\n"
    "# TYPE llamacpp:requests_processing gauge\n"
    "llamacpp:requests_processing 4\n"
    "# HELP llamacpp:requests_deferred Number of requests deferred.\n"
    "# TYPE llamacpp:requests_deferred gauge\n"
    "llamacpp:requests_deferred 11\n";

class LlamacppAdapterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(ParamValue params = {}) {
    return host_.create(host_.load(&eppLlamacppAdapterEntry), "llamacpp", std::move(params));
  }
  ParsedMetrics parse(const std::string& body,
                      const std::string& contentType = "text/plain; version=0.0.4") {
    return adapter_->parseMetrics(body, contentType);
  }

  FakeHost host_;
  std::unique_ptr<testing::FakeInstance> adapter_ = make();
};

TEST_F(LlamacppAdapterTest, InfoNamesTheLlamaServerPaths) {
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  epp_backend_info info = adapter_->info();
  EXPECT_EQ(cpp::view(info.metrics_path), "/metrics");
  EXPECT_EQ(cpp::view(info.health_path), "/health");
  EXPECT_EQ(cpp::view(info.models_path), "/v1/models");
}

TEST_F(LlamacppAdapterTest, DeferredIsWaitingProcessingIsRunning) {
  ParsedMetrics m = parse(kPage);
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present,
            EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_RUNNING | EPP_METRICS_HAS_KV_USAGE);
  EXPECT_EQ(m.metrics.waiting_requests, 11);
  EXPECT_EQ(m.metrics.running_requests, 4);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.125);
}

TEST_F(LlamacppAdapterTest, NewerBuildsWithoutUsageReportQueueOnly) {
  ParsedMetrics m = parse("llamacpp:requests_processing 0\nllamacpp:requests_deferred 0\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_RUNNING);
  EXPECT_EQ(m.metrics.waiting_requests, 0);
  EXPECT_EQ(m.metrics.running_requests, 0);
}

TEST_F(LlamacppAdapterTest, MalformedBodiesFailWithTheReason) {
  ParsedMetrics inf = parse("llamacpp:requests_deferred +Inf\n");
  EXPECT_EQ(inf.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(inf.error, "llamacpp:requests_deferred (line 1): inf is not a count");
  ParsedMetrics usage = parse("llamacpp:kv_cache_usage_ratio 2\n");
  EXPECT_EQ(usage.error,
            "llamacpp:kv_cache_usage_ratio (line 1): KV-cache usage 2.000000 is outside [0, 1]");
  ParsedMetrics truncated = parse("llamacpp:requests_processing 1\nllamacpp:req");
  EXPECT_EQ(truncated.error, "line 2, column 13: body ends without a newline (truncated?)");
  // llama-server without --metrics answers 501 with a JSON error body.
  ParsedMetrics json = parse("{\"error\":{\"code\":501}}\n", "application/json");
  EXPECT_THAT(json.error, HasSubstr("content type 'application/json' is not Prometheus text"));
}

TEST_F(LlamacppAdapterTest, CustomMetricNamesAndDisabledFields) {
  adapter_ = make(ParamValue::map({{"kvCacheUsageMetric", ""}, {"runningMetric", "my:busy"}}));
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  ParsedMetrics m = parse(std::string(kPage) + "my:busy 2\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_RUNNING);
  EXPECT_EQ(m.metrics.running_requests, 2);
}

TEST_F(LlamacppAdapterTest, BadParametersAreRejected) {
  EXPECT_EQ(make(ParamValue::map({{"metricsPath", "metrics"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("metricsPath must start with '/', got 'metrics'"));
}

TEST_F(LlamacppAdapterTest, LoadingModelIsNotReadyNotUnhealthy) {
  EXPECT_EQ(adapter_->checkHealth(200, "{\"status\":\"ok\"}"), EPP_HEALTH_HEALTHY);
  EXPECT_EQ(adapter_->checkHealth(503,
                                  "{\"error\":{\"code\":503,\"message\":\"Loading model\",\"type\":"
                                  "\"unavailable_error\"}}"),
            EPP_HEALTH_NOT_READY);
  EXPECT_EQ(adapter_->checkHealth(500), EPP_HEALTH_UNHEALTHY);
  EXPECT_EQ(adapter_->checkHealth(404), EPP_HEALTH_UNHEALTHY);
}

}  // namespace
}  // namespace epp::plugins

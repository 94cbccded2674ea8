#include "plugins/adapter/tgi/tgi_adapter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::FakeHost;
using ::testing::HasSubstr;
using testing::ParamValue;
using testing::ParsedMetrics;

// A TGI /metrics page in the shape tools/sim renders for the tgi dialect (no HELP text,
// shortest numbers, histograms alongside the gauges).
constexpr const char* kPage =
    "# TYPE tgi_queue_size gauge\n"
    "tgi_queue_size 6\n"
    "# TYPE tgi_batch_current_size gauge\n"
    "tgi_batch_current_size 9\n"
    "# TYPE tgi_batch_current_max_tokens gauge\n"
    "tgi_batch_current_max_tokens 4096\n"
    "# TYPE tgi_request_count counter\n"
    "tgi_request_count 120\n"
    "# TYPE tgi_request_failure counter\n"
    "tgi_request_failure{err=\"validation\"} 2\n"
    "# TYPE tgi_request_queue_duration histogram\n"
    "tgi_request_queue_duration_bucket{le=\"0.1\"} 100\n"
    "tgi_request_queue_duration_bucket{le=\"+Inf\"} 118\n"
    "tgi_request_queue_duration_sum 7.5\n"
    "tgi_request_queue_duration_count 118\n";

class TgiAdapterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(ParamValue params = {}) {
    return host_.create(host_.load(&eppTgiAdapterEntry), "tgi", std::move(params));
  }
  ParsedMetrics parse(const std::string& body,
                      const std::string& contentType = "text/plain; version=0.0.4") {
    return adapter_->parseMetrics(body, contentType);
  }

  FakeHost host_;
  std::unique_ptr<testing::FakeInstance> adapter_ = make();
};

TEST_F(TgiAdapterTest, InfoNamesTheTgiPaths) {
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  epp_backend_info info = adapter_->info();
  EXPECT_EQ(cpp::view(info.metrics_path), "/metrics");
  EXPECT_EQ(cpp::view(info.health_path), "/health");
  EXPECT_EQ(cpp::view(info.models_path), "/v1/models");
}

TEST_F(TgiAdapterTest, QueueIsWaitingBatchIsRunning) {
  ParsedMetrics m = parse(kPage);
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_RUNNING);
  EXPECT_EQ(m.metrics.waiting_requests, 6);
  EXPECT_EQ(m.metrics.running_requests, 9);
}

TEST_F(TgiAdapterTest, MalformedBodiesFailWithTheReason) {
  ParsedMetrics negative = parse("tgi_queue_size -3\n");
  EXPECT_EQ(negative.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(negative.error, "tgi_queue_size (line 1): -3.000000 is not a count");
  ParsedMetrics dup = parse("tgi_batch_current_size 1\ntgi_batch_current_size 2\n");
  EXPECT_EQ(dup.error, "line 2, column 1: duplicate series tgi_batch_current_size{}");
  ParsedMetrics truncated = parse("tgi_queue_size 1\ntgi_batch");
  EXPECT_EQ(truncated.error, "line 2, column 10: body ends without a newline (truncated?)");
  ParsedMetrics html = parse("<html/>\n", "text/html");
  EXPECT_THAT(html.error, HasSubstr("content type 'text/html' is not Prometheus text"));
}

TEST_F(TgiAdapterTest, CustomMetricNamesAndDisabledFields) {
  adapter_ = make(ParamValue::map({{"waitingMetric", ""}, {"runningMetric", "my:batch"}}));
  ASSERT_NE(adapter_, nullptr) << host_.lastError();
  ParsedMetrics m = parse(std::string(kPage) + "my:batch 5\n");
  ASSERT_EQ(m.status, EPP_OK) << m.error;
  EXPECT_EQ(m.metrics.present, EPP_METRICS_HAS_RUNNING);
  EXPECT_EQ(m.metrics.running_requests, 5);
}

TEST_F(TgiAdapterTest, BadParametersAreRejected) {
  EXPECT_EQ(make(ParamValue::map({{"modelsPath", "v1/models"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("modelsPath must start with '/', got 'v1/models'"));
  EXPECT_EQ(make(ParamValue::map({{"kvCacheUsageMetric", "x"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("unknown parameter \"kvCacheUsageMetric\""));
}

TEST_F(TgiAdapterTest, HealthFromTheHttpStatus) {
  EXPECT_EQ(adapter_->checkHealth(200), EPP_HEALTH_HEALTHY);
  EXPECT_EQ(adapter_->checkHealth(503), EPP_HEALTH_UNHEALTHY);
  EXPECT_EQ(adapter_->checkHealth(500), EPP_HEALTH_UNHEALTHY);
}

}  // namespace
}  // namespace epp::plugins

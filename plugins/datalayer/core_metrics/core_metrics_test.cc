#include "plugins/datalayer/core_metrics/core_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::FakeHost;
using ::testing::HasSubstr;
using testing::ParamValue;

class CoreMetricsTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const char* type, ParamValue params = {}) {
    return host_.create(host_.load(&eppCoreMetricsEntry), type, std::move(params));
  }
  FakeHost host_;
};

TEST_F(CoreMetricsTest, ReferenceParametersAreAccepted) {
  EXPECT_NE(make("metrics-data-source",
                 ParamValue::map(
                     {{"scheme", "http"}, {"path", "/metrics"}, {"insecureSkipVerify", true}})),
            nullptr)
      << host_.lastError();
  EXPECT_NE(make("core-metrics-extractor",
                 ParamValue::map({{"defaultEngine", "vllm"},
                                  {"engineLabelKey", "inference.networking.k8s.io/engine-type"}})),
            nullptr)
      << host_.lastError();
  EXPECT_NE(make("metrics-data-source"), nullptr) << host_.lastError();
  EXPECT_NE(make("metrics-data-source", ParamValue::map({{"scheme", "https"}})), nullptr)
      << host_.lastError();
}

TEST_F(CoreMetricsTest, MistakesAreRefusedWithTheReason) {
  EXPECT_EQ(make("metrics-data-source", ParamValue::map({{"scheme", "ftp"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("scheme must be http or https, got 'ftp'"));
  EXPECT_EQ(make("metrics-data-source", ParamValue::map({{"path", "metrics"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("path must start with '/', got 'metrics'"));
  EXPECT_EQ(make("metrics-data-source", ParamValue::map({{"insecureSkipVerify", "maybe"}})),
            nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("insecureSkipVerify"));
  EXPECT_EQ(make("core-metrics-extractor", ParamValue::map({{"engineConfigs", "x"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("must be a list of maps"));
  EXPECT_EQ(make("core-metrics-extractor", ParamValue::map({{"defaultEngine", ""}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("defaultEngine must not be empty"));
  EXPECT_EQ(make("core-metrics-extractor", ParamValue::map({{"engine", "vllm"}})), nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("unknown parameter \"engine\""));
}

TEST_F(CoreMetricsTest, EngineConfigsAreValidatedEntryByEntry) {
  auto entry = [](const char* name, const char* queued) {
    return ParamValue::map({{"name", name}, {"queuedRequestsSpec", queued}});
  };
  auto ok = make(
      "core-metrics-extractor",
      ParamValue::map(
          {{"engineConfigs", ParamValue::list({entry("mine", "q{a=b}"), entry("vllm", "vq")})}}));
  EXPECT_NE(ok, nullptr) << host_.lastError();
  EXPECT_EQ(make("core-metrics-extractor",
                 ParamValue::map({{"engineConfigs",
                                   ParamValue::list({entry("mine", "q"), entry("mine", "r")})}})),
            nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("engine config 'mine' is listed twice"));
  EXPECT_EQ(make("core-metrics-extractor",
                 ParamValue::map({{"engineConfigs", ParamValue::list({entry("mine", "q{a")})}})),
            nullptr);
  EXPECT_THAT(host_.lastError(), HasSubstr("queuedRequestsSpec"));
}

}  // namespace
}  // namespace epp::plugins

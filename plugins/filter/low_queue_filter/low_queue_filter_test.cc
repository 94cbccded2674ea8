#include "plugins/filter/low_queue_filter/low_queue_filter.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class LowQueueFilterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "low-queue-filter", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLowQueueFilterEntry);
  FakeRequest request_;
};

TEST_F(LowQueueFilterTest, DefaultThresholdIs128Inclusive) {
  auto f = make();
  ASSERT_NE(f, nullptr) << host_.lastError();
  EndpointSet eps({{.waiting = 0}, {.waiting = 128}, {.waiting = 129}, {.waiting = 1000}});
  EXPECT_EQ(f->filter(request_, eps), (std::vector<uint8_t>{1, 1, 0, 0}));
  EXPECT_EQ(f->status(), EPP_OK);
}

TEST_F(LowQueueFilterTest, ConfiguredThreshold) {
  auto f = make(ParamValue::map({{"threshold", 5}}));
  ASSERT_NE(f, nullptr) << host_.lastError();
  EndpointSet eps({{.waiting = 4}, {.waiting = 5}, {.waiting = 6}});
  EXPECT_EQ(f->filter(request_, eps), (std::vector<uint8_t>{1, 1, 0}));
  auto zero = make(ParamValue::map({{"threshold", 0}}));
  ASSERT_NE(zero, nullptr) << host_.lastError();
  EXPECT_EQ(zero->filter(request_, eps), (std::vector<uint8_t>{0, 0, 0}));
}

TEST_F(LowQueueFilterTest, AllOverThresholdGivesEmptyResult) {
  auto f = make(ParamValue::map({{"threshold", 2}}));
  EndpointSet eps({{.waiting = 3}, {.waiting = 3}});
  EXPECT_EQ(f->filter(request_, eps), (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(f->status(), EPP_OK);
}

TEST_F(LowQueueFilterTest, DropsEndpointsWithoutMetrics) {
  auto f = make();
  EndpointSet eps({{.waiting = 0, .flags = EPP_ENDPOINT_FLAG_NO_METRICS},
                   {.waiting = 3, .flags = EPP_ENDPOINT_FLAG_STALE}});
  EXPECT_EQ(f->filter(request_, eps), (std::vector<uint8_t>{0, 1}));
}

TEST_F(LowQueueFilterTest, EmptyCandidates) {
  auto f = make();
  EndpointSet none;
  EXPECT_TRUE(f->filter(request_, none).empty());
  EXPECT_EQ(f->status(), EPP_OK);
}

TEST_F(LowQueueFilterTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"treshold", 5}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"treshold\""), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"threshold", "many"}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"threshold\" must be an integer"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"threshold", 1.5}})), nullptr);
  EXPECT_NE(host_.lastError().find("must be an integer"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"threshold", -1}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"threshold\" must be between 0 and"), std::string::npos);
  EXPECT_NE(host_.lastError().find("params.threshold"), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

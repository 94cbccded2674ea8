#include "plugins/filter/least_kv_cache_filter/least_kv_cache_filter.h"

#include <gtest/gtest.h>

#include <limits>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class LeastKvCacheFilterTest : public ::testing::Test {
 protected:
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLeastKvCacheFilterEntry);
  std::unique_ptr<testing::FakeInstance> filter_ = host_.create(plugin_, "least-kv-cache-filter");
  FakeRequest request_;
};

TEST_F(LeastKvCacheFilterTest, KeepsTheLowestBucket) {
  ASSERT_NE(filter_, nullptr) << host_.lastError();
  // min 0.1, max 0.9, n 4: bound 0.1 + 0.8 / 4 = 0.3.
  EndpointSet eps({{.kvCacheUsage = 0.1},
                   {.kvCacheUsage = 0.25},
                   {.kvCacheUsage = 0.35},
                   {.kvCacheUsage = 0.9}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 1, 0, 0}));
  EXPECT_EQ(filter_->status(), EPP_OK);
}

TEST_F(LeastKvCacheFilterTest, BoundIsInclusive) {
  // min 0, max 1, n 4: bound exactly 0.25, which is kept.
  EndpointSet eps({{.kvCacheUsage = 0.0},
                   {.kvCacheUsage = 1.0},
                   {.kvCacheUsage = 0.5},
                   {.kvCacheUsage = 0.25}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 0, 0, 1}));
}

TEST_F(LeastKvCacheFilterTest, AllEqualKeepsAll) {
  EndpointSet eps({{.kvCacheUsage = 0.7}, {.kvCacheUsage = 0.7}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 1}));
  EndpointSet one(std::vector<FakeEndpoint>{{.kvCacheUsage = 1.0}});
  EXPECT_EQ(filter_->filter(request_, one), (std::vector<uint8_t>{1}));
}

TEST_F(LeastKvCacheFilterTest, UnmeasuredEndpointsAreDroppedAndIgnored) {
  // Measured: 0.4 and 0.6 (n 2): bound 0.5.
  EndpointSet eps({{.kvCacheUsage = 0.0, .flags = EPP_ENDPOINT_FLAG_NO_METRICS},
                   {.kvCacheUsage = std::numeric_limits<double>::quiet_NaN()},
                   {.kvCacheUsage = 0.4},
                   {.kvCacheUsage = 0.6}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{0, 0, 1, 0}));
  EndpointSet unknown(std::vector<FakeEndpoint>{{.flags = EPP_ENDPOINT_FLAG_NO_METRICS}});
  EXPECT_EQ(filter_->filter(request_, unknown), (std::vector<uint8_t>{0}));
}

TEST_F(LeastKvCacheFilterTest, EmptyCandidates) {
  EndpointSet none;
  EXPECT_TRUE(filter_->filter(request_, none).empty());
  EXPECT_EQ(filter_->status(), EPP_OK);
}

TEST_F(LeastKvCacheFilterTest, RejectsParameters) {
  EXPECT_EQ(host_.create(plugin_, "least-kv-cache-filter", ParamValue::map({{"threshold", 1}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"threshold\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

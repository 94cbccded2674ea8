#include "plugins/detector/utilization_detector/utilization_detector.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

constexpr int64_t kMs = 1'000'000;

class UtilizationDetectorTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "utilization-detector", params);
  }
  // An endpoint scraped `ageMs` ago.
  FakeEndpoint ep(int64_t waiting, double kv, int64_t ageMs = 0) {
    return {.waiting = waiting, .kvCacheUsage = kv, .metricsUpdatedNs = host_.nowNs - ageMs * kMs};
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppUtilizationDetectorEntry);
  FakeRequest request_;
};

TEST_F(UtilizationDetectorTest, IsADetectorAndAFilter) {
  ASSERT_NE(plugin_, nullptr) << host_.lastError();
  ASSERT_EQ(plugin_->types_count, 1u);
  EXPECT_EQ(plugin_->types[0]->kinds, EPP_KIND_SATURATION_DETECTOR | EPP_KIND_FILTER);
}

TEST_F(UtilizationDetectorTest, PerEndpointMaxOfRatiosAveragedOverThePool) {
  auto d = make();  // queue 5, kv 0.8
  ASSERT_NE(d, nullptr) << host_.lastError();
  // q 2/5 = 0.4, kv 0.4/0.8 = 0.5 -> 0.5
  EndpointSet one({ep(2, 0.4)});
  EXPECT_DOUBLE_EQ(d->saturation(one.list(), host_.nowNs), 0.5);
  EXPECT_EQ(d->status(), EPP_OK);
  // 0.5, q 10/5 = 2.0, kv 0.2/0.8 = 0.25 -> (0.5 + 2.0 + 0.25) / 3
  EndpointSet three({ep(2, 0.4), ep(10, 0.1), ep(0, 0.2)});
  EXPECT_DOUBLE_EQ(d->saturation(three.list(), host_.nowNs), 2.75 / 3);
  // Exactly at the queue threshold is saturated (>= 1).
  EndpointSet atThreshold({ep(5, 0.0)});
  EXPECT_DOUBLE_EQ(d->saturation(atThreshold.list(), host_.nowNs), 1.0);
}

TEST_F(UtilizationDetectorTest, StaleOrMissingMetricsCountAsFull) {
  auto d = make(ParamValue::map({{"metricsStalenessThreshold", "100ms"}}));
  ASSERT_NE(d, nullptr) << host_.lastError();
  // q 1/5 = 0.2 fresh; the second endpoint is 101 ms old: 1.0 -> 0.6
  EndpointSet mixed({ep(1, 0.1), ep(0, 0.0, 101)});
  EXPECT_DOUBLE_EQ(d->saturation(mixed.list(), host_.nowNs), 0.6);
  // 100 ms old is still fresh (stale means older than the threshold).
  EndpointSet edge({ep(1, 0.1, 100)});
  EXPECT_DOUBLE_EQ(d->saturation(edge.list(), host_.nowNs), 0.2);
  // Never scraped: 1.0 whatever its numbers say.
  FakeEndpoint none = ep(0, 0.0);
  none.flags = EPP_ENDPOINT_FLAG_NO_METRICS;
  EndpointSet noMetrics({none, ep(0, 0.0)});
  EXPECT_DOUBLE_EQ(d->saturation(noMetrics.list(), host_.nowNs), 0.5);
}

TEST_F(UtilizationDetectorTest, EmptyPoolIsSaturated) {
  auto d = make();
  EndpointSet none;
  EXPECT_DOUBLE_EQ(d->saturation(none.list(), host_.nowNs), 1.0);
  EXPECT_EQ(d->status(), EPP_OK);
}

TEST_F(UtilizationDetectorTest, ConfiguredThresholds) {
  auto d = make(ParamValue::map({{"queueDepthThreshold", 10}, {"kvCacheUtilThreshold", 0.5}}));
  ASSERT_NE(d, nullptr) << host_.lastError();
  // q 3/10 = 0.3, kv 0.4/0.5 = 0.8 -> 0.8;  q 15/10 = 1.5 -> 1.5;  avg 1.15
  EndpointSet eps({ep(3, 0.4), ep(15, 0.1)});
  EXPECT_DOUBLE_EQ(d->saturation(eps.list(), host_.nowNs), 1.15);
}

TEST_F(UtilizationDetectorTest, HeadroomChangesTheFilterNotTheSaturation) {
  auto d = make(ParamValue::map({{"headroom", 0.2}}));  // limits: queue 6, kv 0.96
  ASSERT_NE(d, nullptr) << host_.lastError();
  EndpointSet eps({ep(6, 0.1), ep(7, 0.1), ep(1, 0.96), ep(1, 0.97), ep(1, 0.1, 300)});
  EXPECT_EQ(d->filter(request_, eps), (std::vector<uint8_t>{1, 0, 1, 0, 0}));
  EXPECT_EQ(d->status(), EPP_OK);
  EndpointSet single({ep(6, 0.0)});
  EXPECT_DOUBLE_EQ(d->saturation(single.list(), host_.nowNs), 1.2);
}

TEST_F(UtilizationDetectorTest, FilterWithoutHeadroomKeepsAtThreshold) {
  auto d = make();
  EndpointSet eps({ep(5, 0.8), ep(6, 0.1), ep(0, 0.81)});
  EXPECT_EQ(d->filter(request_, eps), (std::vector<uint8_t>{1, 0, 0}));
}

TEST_F(UtilizationDetectorTest, FilterFailsOpenWhenEveryEndpointWouldGo) {
  auto d = make();
  EndpointSet busy({ep(50, 0.1), ep(1, 0.99), ep(0, 0.0, 1000)});
  EXPECT_EQ(d->filter(request_, busy), (std::vector<uint8_t>{1, 1, 1}));
  EXPECT_EQ(d->status(), EPP_OK);
  EndpointSet none;
  EXPECT_TRUE(d->filter(request_, none).empty());
}

TEST_F(UtilizationDetectorTest, FilterReadsTheHostClockForStaleness) {
  auto d = make();
  EndpointSet eps({ep(0, 0.0), ep(1, 0.1)});
  EXPECT_EQ(d->filter(request_, eps), (std::vector<uint8_t>{1, 1}));
  host_.advance(250 * kMs);  // both now 250 ms old: all stale, so fail open
  EXPECT_EQ(d->filter(request_, eps), (std::vector<uint8_t>{1, 1}));
  EndpointSet mixed({ep(0, 0.0, 250), ep(1, 0.1)});
  EXPECT_EQ(d->filter(request_, mixed), (std::vector<uint8_t>{0, 1}));
}

TEST_F(UtilizationDetectorTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"queueDepthThreshold", 0}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"queueDepthThreshold\" must be between 1 and"),
            std::string::npos)
      << host_.lastError();
  EXPECT_EQ(make(ParamValue::map({{"kvCacheUtilThreshold", 1.5}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"kvCacheUtilThreshold\" must be between 0 and 1"),
            std::string::npos)
      << host_.lastError();
  EXPECT_EQ(make(ParamValue::map({{"kvCacheUtilThreshold", 0.0}})), nullptr);
  EXPECT_NE(host_.lastError().find("must be greater than 0"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"metricsStalenessThreshold", "0s"}})), nullptr);
  EXPECT_NE(host_.lastError().find("must be a positive duration"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"metricsStalenessThreshold", "soon"}})), nullptr);
  EXPECT_NE(host_.lastError().find("a duration like 200ms"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"headroom", -0.5}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"headroom\" must be between 0 and"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"queueDepth", 5}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"queueDepth\""), std::string::npos);
  // A large headroom is allowed (the reference only warns).
  EXPECT_NE(make(ParamValue::map({{"headroom", 2.0}})), nullptr);
}

}  // namespace
}  // namespace epp::plugins

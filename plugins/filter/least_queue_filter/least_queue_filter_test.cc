#include "plugins/filter/least_queue_filter/least_queue_filter.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class LeastQueueFilterTest : public ::testing::Test {
 protected:
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLeastQueueFilterEntry);
  std::unique_ptr<testing::FakeInstance> filter_ = host_.create(plugin_, "least-queue-filter");
  FakeRequest request_;
};

TEST_F(LeastQueueFilterTest, KeepsTheLowestBucket) {
  ASSERT_NE(filter_, nullptr) << host_.lastError();
  // min 0, max 12, n 4: bound 0 + 12 / 4 = 3.
  EndpointSet eps({{.waiting = 0}, {.waiting = 3}, {.waiting = 4}, {.waiting = 12}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 1, 0, 0}));
  EXPECT_EQ(filter_->status(), EPP_OK);
}

TEST_F(LeastQueueFilterTest, BucketWidthUsesIntegerDivision) {
  // min 2, max 7, n 3: bound 2 + 5 / 3 = 3.
  EndpointSet eps({{.waiting = 2}, {.waiting = 3}, {.waiting = 7}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 1, 0}));
  // min 10, max 13, n 4: bound 10 + 3 / 4 = 10, only the minimum survives.
  EndpointSet narrow({{.waiting = 10}, {.waiting = 11}, {.waiting = 12}, {.waiting = 13}});
  EXPECT_EQ(filter_->filter(request_, narrow), (std::vector<uint8_t>{1, 0, 0, 0}));
}

TEST_F(LeastQueueFilterTest, AllEqualKeepsAll) {
  EndpointSet eps({{.waiting = 5}, {.waiting = 5}, {.waiting = 5}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 1, 1}));
  EndpointSet one(std::vector<FakeEndpoint>{{.waiting = 99}});
  EXPECT_EQ(filter_->filter(request_, one), (std::vector<uint8_t>{1}));
}

TEST_F(LeastQueueFilterTest, EndpointsWithoutMetricsAreDroppedAndIgnored) {
  // Measured: 4 and 8 (n 2): bound 4 + 4 / 2 = 6. The unmeasured endpoint's zero is not the
  // minimum.
  EndpointSet eps(
      {{.waiting = 0, .flags = EPP_ENDPOINT_FLAG_NO_METRICS}, {.waiting = 4}, {.waiting = 8}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{0, 1, 0}));
  EndpointSet unknown(std::vector<FakeEndpoint>{{.flags = EPP_ENDPOINT_FLAG_NO_METRICS}});
  EXPECT_EQ(filter_->filter(request_, unknown), (std::vector<uint8_t>{0}));
}

TEST_F(LeastQueueFilterTest, EmptyCandidates) {
  EndpointSet none;
  EXPECT_TRUE(filter_->filter(request_, none).empty());
  EXPECT_EQ(filter_->status(), EPP_OK);
}

TEST_F(LeastQueueFilterTest, RejectsParameters) {
  EXPECT_EQ(host_.create(plugin_, "least-queue-filter", ParamValue::map({{"threshold", 1}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"threshold\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

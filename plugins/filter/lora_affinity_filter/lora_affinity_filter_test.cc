#include "plugins/filter/lora_affinity_filter/lora_affinity_filter.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class LoraAffinityFilterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "lora-affinity-filter", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLoraAffinityFilterEntry);
  // Endpoint 0 and 2 hold "sql" (active, waiting); 1 has a free slot; 3 is full.
  EndpointSet mixed_{{{.activeLoras = {"sql"}, .maxLoras = 1},
                      {.activeLoras = {"chat"}, .maxLoras = 4},
                      {.activeLoras = {"a", "b"}, .waitingLoras = {"sql"}, .maxLoras = 2},
                      {.activeLoras = {"a", "b"}, .maxLoras = 2}}};
};

TEST_F(LoraAffinityFilterTest, DefaultKeepsTheAffinityGroup) {
  auto f = make();
  ASSERT_NE(f, nullptr) << host_.lastError();
  FakeRequest request({.loraAdapter = "sql"});
  EXPECT_EQ(f->filter(request, mixed_), (std::vector<uint8_t>{1, 0, 1, 0}));
  EXPECT_EQ(f->status(), EPP_OK);
}

TEST_F(LoraAffinityFilterTest, ThresholdZeroAlwaysPicksTheAvailableGroup) {
  auto f = make(ParamValue::map({{"threshold", 0.0}}));
  ASSERT_NE(f, nullptr) << host_.lastError();
  FakeRequest request({.loraAdapter = "sql"});
  EXPECT_EQ(f->filter(request, mixed_), (std::vector<uint8_t>{0, 1, 0, 0}));
}

TEST_F(LoraAffinityFilterTest, ThresholdOneAlwaysPicksTheAffinityGroup) {
  auto f = make(ParamValue::map({{"threshold", 1}}));
  ASSERT_NE(f, nullptr) << host_.lastError();
  for (uint64_t seed = 0; seed < 50; ++seed) {
    FakeRequest request({.loraAdapter = "sql", .seed = seed});
    EXPECT_EQ(f->filter(request, mixed_), (std::vector<uint8_t>{1, 0, 1, 0}));
  }
}

TEST_F(LoraAffinityFilterTest, ThresholdIsTheProbabilityOfAffinity) {
  auto f = make(ParamValue::map({{"threshold", 0.7}}));
  ASSERT_NE(f, nullptr) << host_.lastError();
  int affinity = 0;
  const int kRuns = 2000;
  for (int seed = 0; seed < kRuns; ++seed) {
    FakeRequest request({.loraAdapter = "sql", .seed = static_cast<uint64_t>(seed)});
    auto keep = f->filter(request, mixed_);
    if (keep[0] == 1) {
      ++affinity;
      EXPECT_EQ(keep, (std::vector<uint8_t>{1, 0, 1, 0}));
    } else {
      EXPECT_EQ(keep, (std::vector<uint8_t>{0, 1, 0, 0}));
    }
  }
  EXPECT_NEAR(static_cast<double>(affinity) / kRuns, 0.7, 0.05);
}

TEST_F(LoraAffinityFilterTest, FallsBackToWhicheverGroupIsNonEmpty) {
  auto f = make(ParamValue::map({{"threshold", 0.0}}));
  FakeRequest request({.loraAdapter = "sql"});
  EndpointSet onlyAffinity({{.activeLoras = {"sql"}, .maxLoras = 1}, {.maxLoras = 0}});
  EXPECT_EQ(f->filter(request, onlyAffinity), (std::vector<uint8_t>{1, 0}));
  auto g = make();
  EndpointSet onlyFree({{.maxLoras = 2}, {.activeLoras = {"x"}, .maxLoras = 1}});
  EXPECT_EQ(g->filter(request, onlyFree), (std::vector<uint8_t>{1, 0}));
  EndpointSet neither({{.activeLoras = {"x"}, .maxLoras = 1}, {.maxLoras = 0}});
  EXPECT_EQ(g->filter(request, neither), (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(g->status(), EPP_OK);
}

TEST_F(LoraAffinityFilterTest, NoAdapterKeepsEveryCandidate) {
  auto f = make();
  FakeRequest base;
  EXPECT_EQ(f->filter(base, mixed_), (std::vector<uint8_t>{1, 1, 1, 1}));
}

TEST_F(LoraAffinityFilterTest, EndpointsWithoutMetricsBelongToNoGroup) {
  auto f = make();
  FakeRequest request({.loraAdapter = "sql"});
  EndpointSet eps({{.activeLoras = {"sql"}, .maxLoras = 4, .flags = EPP_ENDPOINT_FLAG_NO_METRICS},
                   {.maxLoras = 4, .flags = EPP_ENDPOINT_FLAG_NO_METRICS},
                   {.maxLoras = 4}});
  EXPECT_EQ(f->filter(request, eps), (std::vector<uint8_t>{0, 0, 1}));
}

TEST_F(LoraAffinityFilterTest, EmptyCandidates) {
  auto f = make();
  FakeRequest request({.loraAdapter = "sql"});
  EndpointSet none;
  EXPECT_TRUE(f->filter(request, none).empty());
  EXPECT_EQ(f->status(), EPP_OK);
}

TEST_F(LoraAffinityFilterTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"threshhold", 0.5}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"threshhold\""), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"threshold", "high"}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"threshold\" must be a number"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"threshold", 1.5}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"threshold\" must be between 0 and 1"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"threshold", -0.1}})), nullptr);
  EXPECT_NE(host_.lastError().find("must be between 0 and 1"), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

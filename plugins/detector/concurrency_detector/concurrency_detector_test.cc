#include "plugins/detector/concurrency_detector/concurrency_detector.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::FakeRequestSpec;
using testing::ParamValue;

FakeEndpoint inflight(int64_t n, uint64_t id = 0) { return {.id = id, .inflight = n}; }

class ConcurrencyDetectorTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "concurrency-detector", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppConcurrencyDetectorEntry);
  FakeRequest request_;
};

TEST_F(ConcurrencyDetectorTest, IsADetectorAFilterAndTracksRequests) {
  ASSERT_NE(plugin_, nullptr) << host_.lastError();
  ASSERT_EQ(plugin_->types_count, 1u);
  uint32_t kinds = plugin_->types[0]->kinds;
  EXPECT_TRUE(kinds & EPP_KIND_SATURATION_DETECTOR);
  EXPECT_TRUE(kinds & EPP_KIND_FILTER);
  EXPECT_TRUE(kinds & EPP_KIND_REQUEST_HOOKS);
}

TEST_F(ConcurrencyDetectorTest, RequestsModeReadsTheHostInflightCount) {
  auto d = make(ParamValue::map({{"maxConcurrency", 10}}));
  ASSERT_NE(d, nullptr) << host_.lastError();
  EndpointSet half({inflight(5)});
  EXPECT_DOUBLE_EQ(d->saturation(half.list(), 0), 0.5);
  EXPECT_EQ(d->status(), EPP_OK);
  // Σ in-flight / (n × max): (10 + 0) / 20, (15 + 5) / 20, (15 + 15) / 20
  EndpointSet mixed({inflight(10), inflight(0)});
  EXPECT_DOUBLE_EQ(d->saturation(mixed.list(), 0), 0.5);
  EndpointSet full({inflight(15), inflight(5)});
  EXPECT_DOUBLE_EQ(d->saturation(full.list(), 0), 1.0);
  EndpointSet over({inflight(15), inflight(15)});
  EXPECT_DOUBLE_EQ(d->saturation(over.list(), 0), 1.5);
}

TEST_F(ConcurrencyDetectorTest, DefaultMaxConcurrencyIs100) {
  auto d = make();
  EndpointSet eps({inflight(99), inflight(1)});
  EXPECT_DOUBLE_EQ(d->saturation(eps.list(), 0), 0.5);
}

TEST_F(ConcurrencyDetectorTest, EmptyPoolIsSaturated) {
  auto d = make();
  EndpointSet none;
  EXPECT_DOUBLE_EQ(d->saturation(none.list(), 0), 1.0);
}

TEST_F(ConcurrencyDetectorTest, FilterDropsAtTheBurstLimitAndFailsOpen) {
  // Burst limit 50 × 1.2 = 60: 59 stays, 60 goes.
  auto d = make(ParamValue::map({{"maxConcurrency", 50}, {"headroom", 0.2}}));
  ASSERT_NE(d, nullptr) << host_.lastError();
  EndpointSet eps({inflight(59), inflight(60), inflight(0)});
  EXPECT_EQ(d->filter(request_, eps), (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(d->status(), EPP_OK);
  EndpointSet busy({inflight(60), inflight(70)});
  EXPECT_EQ(d->filter(request_, busy), (std::vector<uint8_t>{1, 1}));
  // Headroom does not change the saturation: (59 + 60 + 0) / 150.
  EXPECT_DOUBLE_EQ(d->saturation(eps.list(), 0), 119.0 / 150.0);
}

TEST_F(ConcurrencyDetectorTest, TokenEstimateMatchesTheReferenceFormula) {
  // 16 bytes -> 4 input + 6 output; 4 bytes -> 1 + round(1.5) = 3; empty -> 1 + 2 = 3.
  FakeRequest a(FakeRequestSpec{.body = std::string(16, 'x')});
  EXPECT_EQ(ConcurrencyDetector::estimateTokens(cpp::Request(a.view())), 10);
  FakeRequest b(FakeRequestSpec{.body = "1234"});
  EXPECT_EQ(ConcurrencyDetector::estimateTokens(cpp::Request(b.view())), 3);
  FakeRequest c(FakeRequestSpec{.body = ""});
  EXPECT_EQ(ConcurrencyDetector::estimateTokens(cpp::Request(c.view())), 3);
  FakeRequest d(FakeRequestSpec{.body = std::string(400, 'x')});
  EXPECT_EQ(ConcurrencyDetector::estimateTokens(cpp::Request(d.view())), 250);
}

TEST_F(ConcurrencyDetectorTest, TokensModeCountsFromPreRequestToCompletion) {
  auto d = make(ParamValue::map({{"concurrencyMode", "tokens"}, {"maxTokenConcurrency", 100}}));
  ASSERT_NE(d, nullptr) << host_.lastError();
  EndpointSet eps({inflight(0, 7), inflight(0, 8)});
  FakeRequest r1(FakeRequestSpec{.requestId = "r1", .body = std::string(16, 'x')});  // 10
  FakeRequest r2(FakeRequestSpec{.requestId = "r2", .body = std::string(64, 'x')});  // 40
  d->preRequest(r1, {{.name = "default", .targets = {eps.view(0)}}});
  d->preRequest(r2, {{.name = "default", .targets = {eps.view(0), eps.view(1)}}});
  // Only the primary target holds the tokens: (10 + 40 + 0) / 200.
  EXPECT_DOUBLE_EQ(d->saturation(eps.list(), 0), 0.25);
  EndpointSet first({inflight(0, 7)});
  EXPECT_DOUBLE_EQ(d->saturation(first.list(), 0), 0.5);
  d->requestComplete(r2, nullptr, EPP_OUTCOME_CANCELLED);
  EXPECT_DOUBLE_EQ(d->saturation(first.list(), 0), 0.1);
  // A second completion of the same request changes nothing.
  d->requestComplete(r2, nullptr, EPP_OUTCOME_COMPLETED);
  EXPECT_DOUBLE_EQ(d->saturation(first.list(), 0), 0.1);
  d->requestComplete(r1, nullptr, EPP_OUTCOME_COMPLETED);
  EXPECT_DOUBLE_EQ(d->saturation(eps.list(), 0), 0.0);
  // Requests mode ignores the token count; tokens mode ignores the host's request count.
  EndpointSet busy({inflight(500, 7)});
  EXPECT_DOUBLE_EQ(d->saturation(busy.list(), 0), 0.0);
}

TEST_F(ConcurrencyDetectorTest, TokensModeFilterUsesTheTokenBurstLimit) {
  auto d = make(ParamValue::map(
      {{"concurrencyMode", "tokens"}, {"maxTokenConcurrency", 100}, {"headroom", 0.2}}));
  EndpointSet eps({inflight(0, 1), inflight(0, 2)});
  // 11 requests of 10 tokens on endpoint 1: 110 < 120 stays.
  std::vector<std::unique_ptr<FakeRequest>> held;
  for (int i = 0; i < 11; ++i) {
    held.push_back(std::make_unique<FakeRequest>(FakeRequestSpec{.body = std::string(16, 'x')}));
    d->preRequest(*held.back(), {{.name = "default", .targets = {eps.view(0)}}});
  }
  EXPECT_EQ(d->filter(request_, eps), (std::vector<uint8_t>{1, 1}));
  held.push_back(std::make_unique<FakeRequest>(FakeRequestSpec{.body = std::string(16, 'x')}));
  d->preRequest(*held.back(), {{.name = "default", .targets = {eps.view(0)}}});
  EXPECT_EQ(d->filter(request_, eps), (std::vector<uint8_t>{0, 1}));  // 120: at the limit
}

TEST_F(ConcurrencyDetectorTest, RequestsModeHooksHoldNothing) {
  auto d = make(ParamValue::map({{"maxConcurrency", 10}}));
  EndpointSet eps({inflight(2, 3)});
  FakeRequest r(FakeRequestSpec{.body = std::string(400, 'x')});
  d->preRequest(r, {{.name = "default", .targets = {eps.view(0)}}});
  EXPECT_DOUBLE_EQ(d->saturation(eps.list(), 0), 0.2);
  d->requestComplete(r, nullptr, EPP_OUTCOME_COMPLETED);
  EXPECT_DOUBLE_EQ(d->saturation(eps.list(), 0), 0.2);
}

TEST_F(ConcurrencyDetectorTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"concurrencyMode", "magic"}})), nullptr);
  EXPECT_NE(host_.lastError().find(
                "\"concurrencyMode\" must be \"requests\" or \"tokens\", got \"magic\""),
            std::string::npos)
      << host_.lastError();
  EXPECT_EQ(make(ParamValue::map({{"maxConcurrency", 0}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxConcurrency\" must be between 1 and"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"maxTokenConcurrency", 0}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxTokenConcurrency\" must be between 1 and"),
            std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"maxConcurrency", "lots"}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"maxConcurrency\" must be an integer"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"headroom", -0.5}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"headroom\" must be between 0 and"), std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"mode", "tokens"}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"mode\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

#include "plugins/filter/prefix_cache_affinity_filter/prefix_cache_affinity_filter.h"

#include <gtest/gtest.h>

#include <string>

#include "epp/testing/fake_host.h"
#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeProfileResult;
using testing::FakeRequest;
using testing::FakeRequestSpec;
using testing::ParamValue;

constexpr char kDecisions[] = "llm_d_epp_prefix_cache_affinity_filter_decisions_total";

class PrefixCacheAffinityFilterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> create(const ParamValue& params = ParamValue()) {
    auto filter = host_.create(plugin_, "prefix-cache-affinity-filter", params);
    EXPECT_NE(filter, nullptr) << host_.lastError();
    return filter;
  }
  // A request whose prefix each endpoint of eps_ holds in the given share.
  std::unique_ptr<FakeRequest> withRatios(const std::vector<double>& ratios, uint64_t seed = 42) {
    auto request = std::make_unique<FakeRequest>(FakeRequestSpec{.seed = seed});
    std::vector<uint64_t> ids;
    for (size_t i = 0; i < ratios.size(); ++i) ids.push_back(eps_.view(i)->id);
    request->dataPut(kMatchRatioKey, ids.data(), ratios.data(), ids.size());
    return request;
  }
  // Routes a request of `tokens` uncached prompt tokens to eps_[target].
  std::unique_ptr<FakeRequest> load(testing::FakeInstance& filter, size_t target, size_t tokens) {
    auto request =
        std::make_unique<FakeRequest>(FakeRequestSpec{.prompt = std::string(tokens * 4, 'p')});
    filter.preRequest(*request,
                      {FakeProfileResult{.name = "default", .targets = {eps_.view(target)}}});
    return request;
  }
  double decisions(const std::string& outcome) {
    return host_.metricValue(kDecisions, "prefix-cache-affinity-filter", {outcome});
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppPrefixCacheAffinityFilterEntry);
  EndpointSet eps_{{}, {}, {}, {}};
};

TEST_F(PrefixCacheAffinityFilterTest, KeepsTheEndpointsAtOrAboveTheThreshold) {
  auto filter = create();
  auto request = withRatios({0.9, 0.8, 0.5, 0.0});
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 1, 0, 0}));
  EXPECT_EQ(filter->status(), EPP_OK);
  EXPECT_EQ(decisions("sticky"), 1);
}

TEST_F(PrefixCacheAffinityFilterTest, NoStickyEndpointKeepsAll) {
  auto filter = create();
  auto request = withRatios({0.7, 0.5, 0.0, 0.79});
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 1, 1, 1}));
  FakeRequest unmeasured;  // no producer ran
  EXPECT_EQ(filter->filter(unmeasured, eps_), (std::vector<uint8_t>{1, 1, 1, 1}));
  EXPECT_EQ(decisions("no_match"), 2);
}

TEST_F(PrefixCacheAffinityFilterTest, NothingToDecide) {
  auto filter = create();
  EndpointSet one{{}};
  auto request = withRatios({1.0});
  EXPECT_EQ(filter->filter(*request, one), (std::vector<uint8_t>{1}));
  EndpointSet none;
  EXPECT_TRUE(filter->filter(*request, none).empty());
  auto off = create(ParamValue::map({{"affinityThreshold", 0.0}}));
  auto sticky = withRatios({1.0, 0.0, 0.0, 0.0});
  EXPECT_EQ(off->filter(*sticky, eps_), (std::vector<uint8_t>{1, 1, 1, 1}));
  EXPECT_EQ(decisions("not_applicable"), 3);
}

TEST_F(PrefixCacheAffinityFilterTest, ExplorationSkipsTheGateAtItsRate) {
  auto always = create(ParamValue::map({{"explorationProbability", 1.0}}));
  auto request = withRatios({1.0, 0.0, 0.0, 0.0});
  EXPECT_EQ(always->filter(*request, eps_), (std::vector<uint8_t>{1, 1, 1, 1}));

  auto half = create(ParamValue::map({{"explorationProbability", 0.5}}));
  int explored = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    auto r = withRatios({1.0, 0.0, 0.0, 0.0}, seed);
    explored += half->filter(*r, eps_)[1];
    // The same request (same seed) decides the same way again.
    auto again = withRatios({1.0, 0.0, 0.0, 0.0}, seed);
    auto first = withRatios({1.0, 0.0, 0.0, 0.0}, seed);
    EXPECT_EQ(half->filter(*again, eps_), half->filter(*first, eps_));
  }
  EXPECT_NEAR(explored, 1000, 120);
}

TEST_F(PrefixCacheAffinityFilterTest, OverloadedStickyEndpointsOpenTheSet) {
  auto filter = create(ParamValue::map({{"maxTTFTPenaltyMs", 1000}}));
  auto ratios = std::vector<double>{0.9, 0.9, 0.0, 0.0};
  // 15,928 tokens take one second at the default peak throughput.
  auto a = load(*filter, 0, 31856);  // 2 s
  auto request = withRatios(ratios);
  // The other sticky endpoint is idle: stick.
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 1, 0, 0}));
  auto b = load(*filter, 1, 23892);  // 1.5 s: best sticky 1.5 s vs idle others
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 1, 1, 1}));
  EXPECT_EQ(decisions("load_override"), 1);
  auto c = load(*filter, 2, 15928);  // others at best 0 s still (endpoint 3)
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 1, 1, 1}));
  auto d = load(*filter, 3, 15928);  // others at best 1 s: penalty 0.5 s
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 1, 0, 0}));
  // Completion releases the load.
  filter->requestComplete(*c, nullptr, EPP_OUTCOME_COMPLETED);
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 1, 1, 1}));
  filter->requestComplete(*b, nullptr, EPP_OUTCOME_COMPLETED);
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 1, 0, 0}));
}

TEST_F(PrefixCacheAffinityFilterTest, CachedTokensAreNotBookedAsLoad) {
  auto filter = create(ParamValue::map({{"maxTTFTPenaltyMs", 500}}));
  // 31,856 tokens, 90% cached on endpoint 0: 3,186 uncached, 0.2 s.
  FakeRequest routed(FakeRequestSpec{.prompt = std::string(31856 * 4, 'p')});
  const uint64_t id = eps_.view(0)->id;
  const double ratio = 0.9;
  routed.dataPut(kMatchRatioKey, &id, &ratio, 1);
  filter->preRequest(routed, {FakeProfileResult{.name = "default", .targets = {eps_.view(0)}}});
  auto request = withRatios({0.9, 0.0, 0.0, 0.0});
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 0, 0, 0}));
}

TEST_F(PrefixCacheAffinityFilterTest, ZeroPenaltyAlwaysSticks) {
  auto filter = create(ParamValue::map({{"maxTTFTPenaltyMs", 0}, {"peakPrefillThroughput", 0}}));
  auto a = load(*filter, 0, 1000000);
  auto request = withRatios({1.0, 0.0, 0.0, 0.0});
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 0, 0, 0}));
}

TEST_F(PrefixCacheAffinityFilterTest, ForgetsEndpointsThatLeft) {
  auto filter = create(ParamValue::map({{"maxTTFTPenaltyMs", 1000}}));
  auto a = load(*filter, 0, 100000);
  filter->endpointsRemoved({eps_.view(0)->id});
  auto request = withRatios({1.0, 0.0, 0.0, 0.0});
  EXPECT_EQ(filter->filter(*request, eps_), (std::vector<uint8_t>{1, 0, 0, 0}));
}

TEST_F(PrefixCacheAffinityFilterTest, Parameters) {
  EXPECT_NE(create(ParamValue::map({{"affinityThreshold", 0.99},
                                    {"explorationProbability", 0.01},
                                    {"maxTTFTPenaltyMs", 5000},
                                    {"ttftSource", "prefillThroughput"},
                                    {"peakPrefillThroughput", 20000},
                                    {"prefixMatchInfoProducerName", "p"},
                                    {"inFlightLoadProducerName", "i"}})),
            nullptr);
  auto error = [&](const ParamValue& params) {
    EXPECT_EQ(host_.create(plugin_, "prefix-cache-affinity-filter", params), nullptr);
    return host_.lastError();
  };
  EXPECT_NE(error(ParamValue::map({{"ttftSource", "latencyPredictor"}})).find("latency predictor"),
            std::string::npos);
  EXPECT_NE(error(ParamValue::map({{"ttftSource", "guess"}})).find("must be \"prefillThroughput\""),
            std::string::npos);
  EXPECT_NE(error(ParamValue::map({{"prefillCalibrationFile", "/etc/cal.json"}}))
                .find("\"prefillCalibrationFile\" is not supported by eppd"),
            std::string::npos);
  EXPECT_NE(error(ParamValue::map({{"peakPrefillThroughput", 0}}))
                .find("must be above 0 while maxTTFTPenaltyMs is above 0"),
            std::string::npos);
  EXPECT_NE(error(ParamValue::map({{"affinityThreshold", 1.2}}))
                .find("parameter \"affinityThreshold\" must be between 0 and 1"),
            std::string::npos);
  error(ParamValue::map({{"explorationProbability", -0.1}}));
  error(ParamValue::map({{"maxTTFTPenaltyMs", -1}}));
  error(ParamValue::map({{"threshold", 0.8}}));
}

}  // namespace
}  // namespace epp::plugins

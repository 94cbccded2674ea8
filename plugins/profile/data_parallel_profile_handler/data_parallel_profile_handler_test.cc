#include "plugins/profile/data_parallel_profile_handler/data_parallel_profile_handler.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeProfileResult;
using testing::FakeRequest;
using testing::ParamValue;

class DataParallelProfileHandlerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    return host_.create(plugin_, "data-parallel-profile-handler", params);
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppDataParallelProfileHandlerEntry);
  // Two ranks of pod 10.0.0.1 and one of pod 10.0.0.2.
  EndpointSet ranks_{{.address = "10.0.0.1", .port = 8200},
                     {.address = "10.0.0.1", .port = 8201},
                     {.address = "10.0.0.2", .port = 8200}};
  FakeRequest request_;
};

TEST_F(DataParallelProfileHandlerTest, RunsTheOnlyProfileOnce) {
  auto h = make();
  ASSERT_NE(h, nullptr) << host_.lastError();
  EXPECT_EQ(h->pickProfiles(request_, {"default"}, {}), (std::vector<uint8_t>{1}));
  std::vector<FakeProfileResult> ran{{.name = "default", .targets = {ranks_.view(1)}}};
  EXPECT_EQ(h->pickProfiles(request_, {"default"}, ran), (std::vector<uint8_t>{0}));
  EXPECT_EQ(h->status(), EPP_OK);
}

TEST_F(DataParallelProfileHandlerTest, RankGoesInTheHeaderAndTheRequestToThePrimaryPort) {
  auto h = make();
  std::vector<FakeProfileResult> ran{{.name = "default", .targets = {ranks_.view(1)}}};
  EXPECT_EQ(h->processResults(request_, ran), 0u);
  EXPECT_EQ(h->status(), EPP_OK);
  EXPECT_EQ(request_.setHeaders().at("x-data-parallel-host-port"), "10.0.0.1:8201");
  EXPECT_EQ(request_.setHeaders().at("x-gateway-destination-endpoint"), "10.0.0.1:8000");
}

TEST_F(DataParallelProfileHandlerTest, FallbacksAreOnePodEachOnTheConfiguredPort) {
  auto h = make(ParamValue::map({{"primaryPort", 9000}}));
  ASSERT_NE(h, nullptr) << host_.lastError();
  std::vector<FakeProfileResult> ran{
      {.name = "default", .targets = {ranks_.view(2), ranks_.view(0), ranks_.view(1)}}};
  h->processResults(request_, ran);
  EXPECT_EQ(request_.setHeaders().at("x-data-parallel-host-port"), "10.0.0.2:8200");
  EXPECT_EQ(request_.setHeaders().at("x-gateway-destination-endpoint"),
            "10.0.0.2:9000,10.0.0.1:9000");
}

TEST_F(DataParallelProfileHandlerTest, PrimaryPortZeroKeepsThePickedRank) {
  auto h = make(ParamValue::map({{"primaryPort", 0}}));
  std::vector<FakeProfileResult> ran{{.name = "default", .targets = {ranks_.view(0)}}};
  h->processResults(request_, ran);
  EXPECT_EQ(request_.setHeaders().at("x-data-parallel-host-port"), "10.0.0.1:8200");
  EXPECT_EQ(request_.setHeaders().count("x-gateway-destination-endpoint"), 0u);
}

TEST_F(DataParallelProfileHandlerTest, Ipv6AddressesAreBracketed) {
  auto h = make();
  EndpointSet v6{{.address = "fd00::7", .port = 8201}};
  std::vector<FakeProfileResult> ran{{.name = "default", .targets = {v6.view(0)}}};
  h->processResults(request_, ran);
  EXPECT_EQ(request_.setHeaders().at("x-gateway-destination-endpoint"), "[fd00::7]:8000");
}

TEST_F(DataParallelProfileHandlerTest, MoreThanOneProfileIsAnError) {
  auto h = make();
  EXPECT_EQ(h->pickProfiles(request_, {"prefill", "decode"}, {}), (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(h->status(), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(host_.logged("needs exactly one scheduling profile, the config has 2"));
}

TEST_F(DataParallelProfileHandlerTest, AFailedProfileIsUnavailableAndSetsNothing) {
  auto h = make();
  std::vector<FakeProfileResult> failed{{.name = "default", .ok = false}};
  h->processResults(request_, failed);
  EXPECT_EQ(h->status(), EPP_ERR_UNAVAILABLE);
  EXPECT_TRUE(host_.logged("scheduling profile 'default' found no endpoint"));
  EXPECT_TRUE(request_.setHeaders().empty());
}

TEST_F(DataParallelProfileHandlerTest, RejectsBadParameters) {
  EXPECT_EQ(make(ParamValue::map({{"primaryPort", 70000}})), nullptr);
  EXPECT_NE(host_.lastError().find("\"primaryPort\" must be between 0 and 65535"),
            std::string::npos);
  EXPECT_EQ(make(ParamValue::map({{"port", 8000}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"port\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

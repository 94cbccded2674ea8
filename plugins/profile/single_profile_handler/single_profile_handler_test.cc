#include "plugins/profile/single_profile_handler/single_profile_handler.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class SingleProfileHandlerTest : public ::testing::Test {
 protected:
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppSingleProfileHandlerEntry);
  std::unique_ptr<testing::FakeInstance> handler_ = host_.create(plugin_, "single-profile-handler");
  EndpointSet eps_{{{.address = "10.0.0.1"}, {.address = "10.0.0.2"}}};
  FakeRequest request_;
};

TEST_F(SingleProfileHandlerTest, RunsTheOnlyProfileOnce) {
  ASSERT_NE(handler_, nullptr) << host_.lastError();
  EXPECT_EQ(handler_->pickProfiles(request_, {"default"}, {}), (std::vector<uint8_t>{1}));
  EXPECT_EQ(handler_->status(), EPP_OK);
  std::vector<testing::FakeProfileResult> ran{{.name = "default", .targets = {eps_.view(1)}}};
  EXPECT_EQ(handler_->pickProfiles(request_, {"default"}, ran), (std::vector<uint8_t>{0}));
  EXPECT_EQ(handler_->status(), EPP_OK);
}

TEST_F(SingleProfileHandlerTest, TheOnlyResultIsPrimary) {
  std::vector<testing::FakeProfileResult> ran{
      {.name = "default", .targets = {eps_.view(1), eps_.view(0)}}};
  EXPECT_EQ(handler_->processResults(request_, ran), 0u);
  EXPECT_EQ(handler_->status(), EPP_OK);
}

TEST_F(SingleProfileHandlerTest, AFailedProfileIsAnError) {
  std::vector<testing::FakeProfileResult> failed{{.name = "default", .ok = false}};
  handler_->processResults(request_, failed);
  EXPECT_EQ(handler_->status(), EPP_ERR_UNAVAILABLE);
  EXPECT_TRUE(host_.logged("scheduling profile 'default' found no endpoint"));
}

TEST_F(SingleProfileHandlerTest, MoreThanOneProfileIsAnError) {
  auto run = handler_->pickProfiles(request_, {"prefill", "decode"}, {});
  EXPECT_EQ(handler_->status(), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(run, (std::vector<uint8_t>{0, 0}));
  EXPECT_TRUE(
      host_.logged("needs exactly one scheduling profile, the config has 2 "
                   "(prefill, decode); use a multi-profile handler"));
}

TEST_F(SingleProfileHandlerTest, NoProfileIsAnError) {
  EXPECT_TRUE(handler_->pickProfiles(request_, {}, {}).empty());
  EXPECT_EQ(handler_->status(), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(host_.logged("the config has 0;"));
}

TEST_F(SingleProfileHandlerTest, UnexpectedResultCountIsAnError) {
  handler_->processResults(request_, {});
  EXPECT_EQ(handler_->status(), EPP_ERR_INVALID_ARGUMENT);
  std::vector<testing::FakeProfileResult> two{{.name = "a"}, {.name = "b"}};
  handler_->processResults(request_, two);
  EXPECT_EQ(handler_->status(), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(host_.logged("expects one profile result, got 2"));
}

TEST_F(SingleProfileHandlerTest, RejectsParameters) {
  EXPECT_EQ(host_.create(plugin_, "single-profile-handler", ParamValue::map({{"profile", "x"}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"profile\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

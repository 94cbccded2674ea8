#include "plugins/filter/decode_filter/decode_filter.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class DecodeFilterTest : public ::testing::Test {
 protected:
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppDecodeFilterEntry);
  std::unique_ptr<testing::FakeInstance> filter_ = host_.create(plugin_, "decode-filter");
  FakeRequest request_;
};

TEST_F(DecodeFilterTest, KeepsDecodeCapableRoles) {
  ASSERT_NE(filter_, nullptr) << host_.lastError();
  EndpointSet eps({{.labels = {{"llm-d.ai/role", "decode"}}},
                   {.labels = {{"llm-d.ai/role", "prefill"}}},
                   {.labels = {{"llm-d.ai/role", "prefill-decode"}}},
                   {.labels = {{"llm-d.ai/role", "both"}}},
                   {.labels = {{"llm-d.ai/role", "encode-prefill-decode"}}},
                   {.labels = {{"llm-d.ai/role", "encode"}}},
                   {.labels = {{"llm-d.ai/role", "encode-prefill"}}},
                   {.labels = {{"llm-d.ai/role", "Decode"}}}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 0, 1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(filter_->status(), EPP_OK);
}

TEST_F(DecodeFilterTest, KeepsUnlabelledEndpoints) {
  EndpointSet eps({{}, {.labels = {{"app", "vllm"}}}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 1}));
}

TEST_F(DecodeFilterTest, AnEmptyRoleLabelIsARoleThatCannotDecode) {
  EndpointSet eps(std::vector<FakeEndpoint>{{.labels = {{"llm-d.ai/role", ""}}}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{0}));
}

TEST_F(DecodeFilterTest, ReadsTheRoleFieldWhenTheLabelIsAbsent) {
  EndpointSet eps({{.role = "prefill"}, {.role = "decode"}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{0, 1}));
}

TEST_F(DecodeFilterTest, IgnoresMetrics) {
  EndpointSet eps(
      std::vector<FakeEndpoint>{{.role = "decode", .flags = EPP_ENDPOINT_FLAG_NO_METRICS}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1}));
}

TEST_F(DecodeFilterTest, EmptyCandidates) {
  EndpointSet none;
  EXPECT_TRUE(filter_->filter(request_, none).empty());
  EXPECT_EQ(filter_->status(), EPP_OK);
}

TEST_F(DecodeFilterTest, RejectsParameters) {
  EXPECT_EQ(host_.create(plugin_, "decode-filter", ParamValue::map({{"label", "role"}})), nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"label\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

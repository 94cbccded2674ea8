#include "plugins/filter/prefill_filter/prefill_filter.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class PrefillFilterTest : public ::testing::Test {
 protected:
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppPrefillFilterEntry);
  std::unique_ptr<testing::FakeInstance> filter_ = host_.create(plugin_, "prefill-filter");
  FakeRequest request_;
};

TEST_F(PrefillFilterTest, KeepsPrefillCapableRoles) {
  ASSERT_NE(filter_, nullptr) << host_.lastError();
  EndpointSet eps({{.labels = {{"llm-d.ai/role", "prefill"}}},
                   {.labels = {{"llm-d.ai/role", "decode"}}},
                   {.labels = {{"llm-d.ai/role", "encode-prefill"}}},
                   {.labels = {{"llm-d.ai/role", "prefill-decode"}}},
                   {.labels = {{"llm-d.ai/role", "both"}}},
                   {.labels = {{"llm-d.ai/role", "encode-prefill-decode"}}},
                   {.labels = {{"llm-d.ai/role", "encode"}}},
                   {.labels = {{"llm-d.ai/role", "PREFILL"}}}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 0, 1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(filter_->status(), EPP_OK);
}

TEST_F(PrefillFilterTest, DropsUnlabelledEndpoints) {
  EndpointSet eps({{}, {.labels = {{"app", "vllm"}}}, {.labels = {{"llm-d.ai/role", ""}}}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{0, 0, 0}));
}

TEST_F(PrefillFilterTest, ReadsTheRoleFieldWhenTheLabelIsAbsent) {
  EndpointSet eps({{.role = "prefill"}, {.role = "decode"}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1, 0}));
}

TEST_F(PrefillFilterTest, IgnoresMetrics) {
  EndpointSet eps(
      std::vector<FakeEndpoint>{{.role = "prefill", .flags = EPP_ENDPOINT_FLAG_NO_METRICS}});
  EXPECT_EQ(filter_->filter(request_, eps), (std::vector<uint8_t>{1}));
}

TEST_F(PrefillFilterTest, EmptyCandidates) {
  EndpointSet none;
  EXPECT_TRUE(filter_->filter(request_, none).empty());
  EXPECT_EQ(filter_->status(), EPP_OK);
}

TEST_F(PrefillFilterTest, RejectsParameters) {
  EXPECT_EQ(host_.create(plugin_, "prefill-filter", ParamValue::map({{"roles", "prefill"}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"roles\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

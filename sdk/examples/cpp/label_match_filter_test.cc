// Unit test of the example filter through the SDK's fake host.
#include <epp/testing/fake_host.h>
#include <gtest/gtest.h>

#include "label_match_filter.h"

namespace {

using epp::testing::EndpointSet;
using epp::testing::FakeHost;
using epp::testing::FakeRequest;
using epp::testing::ParamValue;

TEST(LabelMatchFilter, KeepsMatchingEndpoints) {
  FakeHost host;
  auto* plugin = host.load(&example_label_match_entry);
  ASSERT_NE(plugin, nullptr) << host.lastError();
  auto f = host.create(plugin, "example-label-match-filter");
  ASSERT_NE(f, nullptr) << host.lastError();
  EndpointSet eps({{.address = "10.0.0.1", .labels = {{"gpu", "H100"}}},
                   {.address = "10.0.0.2", .labels = {{"gpu", "A100"}}},
                   {.address = "10.0.0.3"}});
  FakeRequest h100({.headers = {{"x-gpu-type", "H100"}}});
  EXPECT_EQ(f->filter(h100, eps), (std::vector<uint8_t>{1, 0, 0}));
  FakeRequest any;
  EXPECT_EQ(f->filter(any, eps), (std::vector<uint8_t>{1, 1, 1}));
  FakeRequest none({.headers = {{"x-gpu-type", "L4"}}});
  EXPECT_EQ(f->filter(none, eps), (std::vector<uint8_t>{0, 0, 0}));
}

TEST(LabelMatchFilter, FailOpenKeepsAllWhenNothingMatches) {
  FakeHost host;
  auto f = host.create(host.load(&example_label_match_entry), "example-label-match-filter",
                       ParamValue::map({{"failOpen", true}, {"label", "accel"}}));
  ASSERT_NE(f, nullptr) << host.lastError();
  EndpointSet eps({{.labels = {{"accel", "tpu"}}}, {}});
  FakeRequest none({.headers = {{"x-gpu-type", "L4"}}});
  EXPECT_EQ(f->filter(none, eps), (std::vector<uint8_t>{1, 1}));
}

TEST(LabelMatchFilter, CountsPicksPerLabelValue) {
  FakeHost host;
  auto f = host.create(host.load(&example_label_match_entry), "example-label-match-filter",
                       ParamValue(), "gpu-filter");
  FakeRequest h100({.headers = {{"x-gpu-type", "H100"}}});
  f->preRequest(h100, {{.name = "default"}});
  f->preRequest(h100, {{.name = "default"}});
  EXPECT_DOUBLE_EQ(host.metricValue("example_label_match_picks_total", "gpu-filter", {"H100"}), 2);
}

TEST(LabelMatchFilter, RejectsUnknownAndWrongParameters) {
  FakeHost host;
  auto* plugin = host.load(&example_label_match_entry);
  EXPECT_EQ(host.create(plugin, "example-label-match-filter", ParamValue::map({{"lable", "x"}})),
            nullptr);
  EXPECT_NE(host.lastError().find("unknown parameter \"lable\""), std::string::npos);
  EXPECT_EQ(host.create(plugin, "example-label-match-filter", ParamValue::map({{"header", ""}})),
            nullptr);
  EXPECT_NE(host.lastError().find("empty header"), std::string::npos);
}

}  // namespace

#include "plugins/filter/label_selector_filter/label_selector_filter.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class LabelSelectorFilterTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> run(std::string_view type, const ParamValue& params) {
    auto filter = host_.create(plugin_, type, params);
    EXPECT_NE(filter, nullptr) << host_.lastError();
    if (filter == nullptr) return {};
    auto keep = filter->filter(request_, eps_);
    EXPECT_EQ(filter->status(), EPP_OK);
    return keep;
  }
  std::string error(std::string_view type, const ParamValue& params) {
    EXPECT_EQ(host_.create(plugin_, type, params), nullptr);
    return host_.lastError();
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLabelSelectorFilterEntry);
  FakeRequest request_;
  EndpointSet eps_{{.labels = {{"hardware", "H100"}, {"llm-d.ai/role", "decode"}}},
                   {.labels = {{"hardware", "A100"}, {"llm-d.ai/role", "decode"}}},
                   {.labels = {{"hardware", "H100"}, {"llm-d.ai/role", "prefill"}}},
                   {.labels = {{"zone", "b"}}},
                   {.role = "decode"}};
};

TEST_F(LabelSelectorFilterTest, MatchLabelsAreAnded) {
  EXPECT_EQ(run("label-selector-filter",
                ParamValue::map({{"matchLabels", ParamValue::map({{"hardware", "H100"},
                                                                  {"llm-d.ai/role", "decode"}})}})),
            (std::vector<uint8_t>{1, 0, 0, 0, 0}));
}

TEST_F(LabelSelectorFilterTest, MatchExpressionsOperators) {
  auto expr = [](const char* key, const char* op, ParamValue values = ParamValue()) {
    ParamValue e = values.kind() == ParamValue::Kind::kNull
                       ? ParamValue::map({{"key", key}, {"operator", op}})
                       : ParamValue::map({{"key", key}, {"operator", op}, {"values", values}});
    return ParamValue::map({{"matchExpressions", ParamValue::list({e})}});
  };
  EXPECT_EQ(run("label-selector-filter", expr("hardware", "In", ParamValue::list({"A100", "L4"}))),
            (std::vector<uint8_t>{0, 1, 0, 0, 0}));
  // NotIn keeps endpoints without the label, as in Kubernetes.
  EXPECT_EQ(run("label-selector-filter", expr("hardware", "NotIn", ParamValue::list({"H100"}))),
            (std::vector<uint8_t>{0, 1, 0, 1, 1}));
  EXPECT_EQ(run("label-selector-filter", expr("zone", "Exists")),
            (std::vector<uint8_t>{0, 0, 0, 1, 0}));
  EXPECT_EQ(run("label-selector-filter", expr("hardware", "DoesNotExist")),
            (std::vector<uint8_t>{0, 0, 0, 1, 1}));
}

TEST_F(LabelSelectorFilterTest, LabelsAndExpressionsTogether) {
  auto params = ParamValue::map(
      {{"matchLabels", ParamValue::map({{"hardware", "H100"}})},
       {"matchExpressions",
        ParamValue::list({ParamValue::map({{"key", "llm-d.ai/role"},
                                           {"operator", "NotIn"},
                                           {"values", ParamValue::list({"prefill"})}})})}});
  EXPECT_EQ(run("label-selector-filter", params), (std::vector<uint8_t>{1, 0, 0, 0, 0}));
}

TEST_F(LabelSelectorFilterTest, TheRoleFieldStandsInForItsLabel) {
  EXPECT_EQ(run("label-selector-filter",
                ParamValue::map({{"matchLabels", ParamValue::map({{"llm-d.ai/role", "decode"}})}})),
            (std::vector<uint8_t>{1, 1, 0, 0, 1}));
}

TEST_F(LabelSelectorFilterTest, AnEmptySelectorKeepsEverything) {
  EXPECT_EQ(run("label-selector-filter", ParamValue()), (std::vector<uint8_t>{1, 1, 1, 1, 1}));
  EXPECT_EQ(run("label-selector-filter", ParamValue::map({{"matchLabels", ParamValue::map({})}})),
            (std::vector<uint8_t>{1, 1, 1, 1, 1}));
}

TEST_F(LabelSelectorFilterTest, ByLabelSelectorIsTheOldName) {
  EXPECT_EQ(run("by-label-selector",
                ParamValue::map({{"matchLabels", ParamValue::map({{"hardware", "A100"}})}})),
            (std::vector<uint8_t>{0, 1, 0, 0, 0}));
  EXPECT_TRUE(
      host_.logged("plugin type by-label-selector is deprecated; use "
                   "label-selector-filter (same parameters)"));
}

TEST_F(LabelSelectorFilterTest, ByLabelKeepsValidValuesAndOptionallyUnlabelled) {
  EXPECT_EQ(run("by-label", ParamValue::map({{"label", "hardware"},
                                             {"validValues", ParamValue::list({"H100"})}})),
            (std::vector<uint8_t>{1, 0, 1, 0, 0}));
  EXPECT_EQ(run("by-label", ParamValue::map({{"label", "hardware"},
                                             {"validValues", ParamValue::list({"H100"})},
                                             {"allowsNoLabel", true}})),
            (std::vector<uint8_t>{1, 0, 1, 1, 1}));
  EXPECT_EQ(run("by-label", ParamValue::map({{"label", "zone"}, {"allowsNoLabel", true}})),
            (std::vector<uint8_t>{1, 1, 1, 0, 1}));
  EXPECT_TRUE(host_.logged("plugin type by-label is deprecated"));
}

TEST_F(LabelSelectorFilterTest, EmptyCandidates) {
  auto filter = host_.create(plugin_, "label-selector-filter");
  EndpointSet none;
  EXPECT_TRUE(filter->filter(request_, none).empty());
  EXPECT_EQ(filter->status(), EPP_OK);
}

TEST_F(LabelSelectorFilterTest, SelectorMistakesAreConfigErrors) {
  auto one = [](ParamValue e) {
    return ParamValue::map({{"matchExpressions", ParamValue::list({e})}});
  };
  EXPECT_NE(error("label-selector-filter", one(ParamValue::map({{"key", "a"}, {"operator", "in"}})))
                .find("operator \"in\" is not one of In, NotIn, Exists, DoesNotExist"),
            std::string::npos);
  EXPECT_NE(error("label-selector-filter", one(ParamValue::map({{"key", "a"}, {"operator", "In"}})))
                .find("operator In needs at least one value"),
            std::string::npos);
  EXPECT_NE(error("label-selector-filter",
                  one(ParamValue::map(
                      {{"key", "a"}, {"operator", "Exists"}, {"values", ParamValue::list({"x"})}})))
                .find("operator Exists takes no values"),
            std::string::npos);
  EXPECT_NE(error("label-selector-filter", one(ParamValue::map({{"operator", "Exists"}})))
                .find("needs a non-empty \"key\""),
            std::string::npos);
  EXPECT_NE(error("label-selector-filter",
                  one(ParamValue::map({{"key", "a"}, {"operator", "Exists"}, {"value", "x"}})))
                .find("unknown parameter \"value\""),
            std::string::npos);
  EXPECT_NE(error("label-selector-filter", ParamValue::map({{"matchLabels", "hardware=H100"}}))
                .find("parameter \"matchLabels\" must be a map"),
            std::string::npos);
  EXPECT_NE(error("label-selector-filter", ParamValue::map({{"label", "x"}}))
                .find("unknown parameter \"label\""),
            std::string::npos);
}

TEST_F(LabelSelectorFilterTest, ByLabelMistakesAreConfigErrors) {
  EXPECT_NE(error("by-label", ParamValue()).find("parameter \"label\" is required"),
            std::string::npos);
  EXPECT_NE(error("by-label", ParamValue::map({{"label", "zone"}})).find("would drop every"),
            std::string::npos);
  EXPECT_NE(
      error("by-label",
            ParamValue::map({{"label", "zone"}, {"allowsNoLabel", true}, {"matchLabels", "x"}}))
          .find("unknown parameter \"matchLabels\""),
      std::string::npos);
}

}  // namespace
}  // namespace epp::plugins

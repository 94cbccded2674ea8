#include "plugins/filter/capability_filter/capability_filter.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

using Keep = std::vector<uint8_t>;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kMalformedHeaders[] = "eppd_capability_filter_malformed_header_total";

FakeEndpoint gpu(std::string type, std::string memoryGb, std::string version,
                 std::vector<std::string> activeLoras = {}, std::string loraLabel = "") {
  FakeEndpoint e;
  e.labels = {{"eppd.io/gpu-type", std::move(type)},
              {"eppd.io/gpu-memory-gb", std::move(memoryGb)},
              {"eppd.io/model-version", std::move(version)}};
  if (!loraLabel.empty()) e.labels.emplace_back("eppd.io/lora-adapters", std::move(loraLabel));
  e.activeLoras = std::move(activeLoras);
  return e;
}

class CapabilityFilterTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> make(const ParamValue& params = ParamValue()) {
    auto f = host_.create(plugin_, "capability-filter", params);
    EXPECT_NE(f, nullptr) << host_.lastError();
    return f;
  }
  Keep run(testing::FakeInstance& f, Headers headers) {
    FakeRequest r({.headers = std::move(headers)});
    Keep keep = f.filter(r, fleet_);
    EXPECT_EQ(f.status(), EPP_OK);
    return keep;
  }
  double malformed(const char* requirement) const {
    return host_.metricValue(kMalformedHeaders, "capability-filter", {requirement});
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppCapabilityFilterEntry);
  EndpointSet fleet_{
      gpu("H100", "80", "1.2.0", {"sql-lora"}),
      gpu("A100", "40", "1.4", {}, "sql-lora, chat-lora"),
      gpu("a100", "80", "2.0.1", {"chat-lora"}),
      gpu("L4", "24", "v1.1"),
      FakeEndpoint{},  // no labels at all
  };
};

TEST_F(CapabilityFilterTest, NoRequirementKeepsEverything) {
  auto f = make();
  EXPECT_EQ(run(*f, {}), (Keep{1, 1, 1, 1, 1}));
  EXPECT_EQ(run(*f, {{"x-gateway-require-gpu", "  "}}), (Keep{1, 1, 1, 1, 1}));
}

TEST_F(CapabilityFilterTest, GpuTypeFromAHeaderListCaseInsensitive) {
  auto f = make();
  EXPECT_EQ(run(*f, {{"x-gateway-require-gpu", "H100"}}), (Keep{1, 0, 0, 0, 0}));
  EXPECT_EQ(run(*f, {{"x-gateway-require-gpu", "a100, h100"}}), (Keep{1, 1, 1, 0, 0}));
}

TEST_F(CapabilityFilterTest, MinimumGpuMemory) {
  auto f = make();
  EXPECT_EQ(run(*f, {{"x-gateway-min-gpu-memory-gb", "40"}}), (Keep{1, 1, 1, 0, 0}));
  EXPECT_EQ(run(*f, {{"x-gateway-min-gpu-memory-gb", "40.5"}}), (Keep{1, 0, 1, 0, 0}));
}

TEST_F(CapabilityFilterTest, ModelVersionRange) {
  auto f = make();
  EXPECT_EQ(run(*f, {{"x-gateway-model-version", ">=1.2,<2"}}), (Keep{1, 1, 0, 0, 0}));
  EXPECT_EQ(run(*f, {{"x-gateway-model-version", "1.1"}}), (Keep{0, 0, 0, 1, 0}));
}

TEST_F(CapabilityFilterTest, RequiredLoraLoadedOrListedInTheLabel) {
  auto f = make();
  // Active on 0, listed on 1.
  EXPECT_EQ(run(*f, {{"x-gateway-require-lora", "sql-lora"}}), (Keep{1, 1, 0, 0, 0}));
  // Both adapters: only endpoint 1 lists both.
  EXPECT_EQ(run(*f, {{"x-gateway-require-lora", "sql-lora,chat-lora"}}), (Keep{0, 1, 0, 0, 0}));
}

TEST_F(CapabilityFilterTest, RequirementsCombine) {
  auto f = make();
  EXPECT_EQ(run(*f, {{"x-gateway-require-gpu", "A100,H100"},
                     {"x-gateway-min-gpu-memory-gb", "60"},
                     {"x-gateway-model-version", ">=2"}}),
            (Keep{0, 0, 1, 0, 0}));
}

TEST_F(CapabilityFilterTest, ParametersSetRequirementsAndHeadersTightenThem) {
  // A routing branch for large models: H100 or A100 with at least 40 GB, versions 1.x.
  auto f = make(ParamValue::map({{"gpuTypes", ParamValue::list({"H100", "A100"})},
                                 {"minGpuMemoryGb", 40},
                                 {"modelVersion", ">=1,<2"}}));
  EXPECT_EQ(run(*f, {}), (Keep{1, 1, 0, 0, 0}));
  // A header can only narrow what the parameters allow, never widen it.
  EXPECT_EQ(run(*f, {{"x-gateway-require-gpu", "A100"}}), (Keep{0, 1, 0, 0, 0}));
  EXPECT_EQ(run(*f, {{"x-gateway-require-gpu", "L4"}}), (Keep{0, 0, 0, 0, 0}));
  EXPECT_EQ(run(*f, {{"x-gateway-min-gpu-memory-gb", "8"}}), (Keep{1, 1, 0, 0, 0}));
  EXPECT_EQ(run(*f, {{"x-gateway-min-gpu-memory-gb", "60"}}), (Keep{1, 0, 0, 0, 0}));
  EXPECT_EQ(run(*f, {{"x-gateway-model-version", ">=1.3"}}), (Keep{0, 1, 0, 0, 0}));
  EXPECT_EQ(run(*f, {{"x-gateway-require-lora", "chat-lora"}}), (Keep{0, 1, 0, 0, 0}));
}

TEST_F(CapabilityFilterTest, ParameterListsMayBeOneCommaSeparatedString) {
  auto f = make(ParamValue::map({{"gpuTypes", "h100, L4"}, {"loras", "sql-lora"}}));
  EXPECT_EQ(run(*f, {}), (Keep{1, 0, 0, 0, 0}));
}

TEST_F(CapabilityFilterTest, NoEndpointMeetingTheRequirementsIsAnEmptyResult) {
  auto f = make();
  EXPECT_EQ(run(*f, {{"x-gateway-require-gpu", "B200"}}), (Keep{0, 0, 0, 0, 0}));
  EXPECT_DOUBLE_EQ(host_.metricValue(CapabilityFilter::kNoMatchMetric.data(), "capability-filter"),
                   1);
}

TEST_F(CapabilityFilterTest, MalformedHeaderFailsOpenForThatRequirementOnly) {
  auto f = make();
  // The memory header is malformed: ignored; the GPU type still applies.
  EXPECT_EQ(run(*f, {{"x-gateway-require-gpu", "A100"}, {"x-gateway-min-gpu-memory-gb", "lots"}}),
            (Keep{0, 1, 1, 0, 0}));
  EXPECT_EQ(malformed("gpu_memory"), 1);
  EXPECT_EQ(malformed("gpu_type"), 0);
  const testing::LogRecord& warning = host_.logs().back();
  EXPECT_EQ(warning.level, EPP_LOG_WARN);
  EXPECT_EQ(warning.requestId, "test-request");
  EXPECT_NE(warning.message.find("ignoring malformed x-gateway-min-gpu-memory-gb \"lots\" (not a "
                                 "non-negative number of GB)"),
            std::string::npos)
      << warning.message;

  EXPECT_EQ(run(*f, {{"x-gateway-model-version", ">=1.2,<two"}}), (Keep{1, 1, 1, 1, 1}));
  EXPECT_EQ(malformed("model_version"), 1);
  EXPECT_TRUE(host_.logged("\"two\" in version range"));
  EXPECT_EQ(run(*f, {{"x-gateway-require-gpu", " , "}}), (Keep{1, 1, 1, 1, 1}));
  EXPECT_EQ(run(*f, {{"x-gateway-require-lora", ","}}), (Keep{1, 1, 1, 1, 1}));
  EXPECT_EQ(malformed("gpu_type"), 1);
  EXPECT_EQ(malformed("lora"), 1);
}

TEST_F(CapabilityFilterTest, MalformedHeaderKeepsTheParameterRequirement) {
  auto f = make(ParamValue::map({{"minGpuMemoryGb", 80}}));
  EXPECT_EQ(run(*f, {{"x-gateway-min-gpu-memory-gb", "-5"}}), (Keep{1, 0, 1, 0, 0}));
}

TEST_F(CapabilityFilterTest, UnreadableEndpointLabelDisqualifiesAndIsCounted) {
  auto f = make();
  EndpointSet eps{gpu("H100", "eighty", "1.0"), gpu("H100", "80", "new")};
  FakeRequest r(
      {.headers = {{"x-gateway-min-gpu-memory-gb", "10"}, {"x-gateway-model-version", ">=1"}}});
  EXPECT_EQ(f->filter(r, eps), (Keep{0, 0}));
  EXPECT_EQ(host_.metricValue(CapabilityFilter::kMalformedLabelMetric.data(), "capability-filter",
                              {"gpu_memory"}),
            1);
  EXPECT_EQ(host_.metricValue(CapabilityFilter::kMalformedLabelMetric.data(), "capability-filter",
                              {"model_version"}),
            1);
  EXPECT_TRUE(host_.logged("label eppd.io/gpu-memory-gb=\"eighty\" cannot be read"));
}

TEST_F(CapabilityFilterTest, LabelAndHeaderNamesAreParameters) {
  auto f = make(
      ParamValue::map({{"gpuTypeLabel", "nvidia.com/gpu.product"}, {"gpuTypeHeader", "X-GPU"}}));
  EndpointSet eps{{.labels = {{"nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"}}},
                  {.labels = {{"eppd.io/gpu-type", "NVIDIA-H100-80GB-HBM3"}}}};
  FakeRequest r({.headers = {{"x-gpu", "nvidia-h100-80gb-hbm3"}}});
  EXPECT_EQ(f->filter(r, eps), (Keep{1, 0}));
  FakeRequest old({.headers = {{"x-gateway-require-gpu", "B200"}}});
  EXPECT_EQ(f->filter(old, eps), (Keep{1, 1}));  // the default header is no longer read
}

TEST_F(CapabilityFilterTest, RejectsBadParameters) {
  auto bad = [&](const ParamValue& p, const std::string& message) {
    EXPECT_EQ(host_.create(plugin_, "capability-filter", p), nullptr);
    EXPECT_NE(host_.lastError().find(message), std::string::npos) << host_.lastError();
  };
  bad(ParamValue::map({{"modelVersion", ">=1.2,<"}}), "in version range \">=1.2,<\"");
  bad(ParamValue::map({{"minGpuMemoryGb", -1}}), "\"minGpuMemoryGb\" must be between 0 and");
  bad(ParamValue::map({{"gpuTypes", " , "}}), "\"gpuTypes\" must name at least one value");
  bad(ParamValue::map({{"gpuTypeLabel", ""}}), "\"gpuTypeLabel\" must not be empty");
  bad(ParamValue::map({{"loras", ParamValue::map({{"a", 1}})}}), "\"loras\" must be a list");
  bad(ParamValue::map({{"gpuType", "H100"}}), "unknown parameter \"gpuType\"");
}

}  // namespace
}  // namespace epp::plugins

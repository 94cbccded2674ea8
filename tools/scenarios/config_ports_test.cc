#include "tools/scenarios/config_ports.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace epp::scenarios {
namespace {

constexpr char kConfig[] = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
endpoints:
- {address: 127.0.0.1, port: 8001, name: a, labels: &gpu {eppd.io/gpu-type: H100}}
- {address: 127.0.0.1, port: 8002, name: b, labels: *gpu}
)";

TEST(ConfigPortsTest, EachEndpointTakesItsServersPortAndKeepsTheRest) {
  auto moved = withEndpointPorts(kConfig, {41001, 41002});
  ASSERT_TRUE(moved) << moved.error();
  YAML::Node doc = YAML::Load(*moved);
  ASSERT_EQ(doc["endpoints"].size(), 2u);
  EXPECT_EQ(doc["endpoints"][0]["port"].as<int>(), 41001);
  EXPECT_EQ(doc["endpoints"][1]["port"].as<int>(), 41002);
  EXPECT_EQ(doc["endpoints"][1]["name"].as<std::string>(), "b");
  EXPECT_EQ(doc["endpoints"][1]["labels"]["eppd.io/gpu-type"].as<std::string>(), "H100");
  EXPECT_EQ(doc["plugins"][0]["type"].as<std::string>(), "queue-scorer");
  EXPECT_EQ(doc["kind"].as<std::string>(), "EndpointPickerConfig");
}

TEST(ConfigPortsTest, ACountMismatchOrNoEndpointsIsAnError) {
  auto fewer = withEndpointPorts(kConfig, {41001});
  ASSERT_FALSE(fewer);
  EXPECT_EQ(fewer.error(), "the config lists 2 endpoints for 1 simulated servers");
  auto none = withEndpointPorts("kind: EndpointPickerConfig\n", {41001});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), "the config has no endpoints list");
  auto broken = withEndpointPorts("endpoints: [", {41001});
  ASSERT_FALSE(broken);
  EXPECT_THAT(broken.error(), ::testing::StartsWith("not YAML: "));
}

}  // namespace
}  // namespace epp::scenarios

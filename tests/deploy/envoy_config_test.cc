// The Envoy configurations in deploy/: what eppd needs from Envoy (extproc-abi-reload.md
// §2) in the standalone config, and in the single-box one also health checks, failover
// retries and a streaming path, pointing at exactly the servers eppd's config lists.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "tests/deploy/manifest_util.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;

const fs::path kDeploy = DEPLOY_DIR;

YAML::Node connectionManager(const YAML::Node& envoy) {
  return envoy["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
              ["typed_config"];
}

YAML::Node cluster(const YAML::Node& envoy, const std::string& name) {
  return findBy(envoy["static_resources"]["clusters"], "name", name);
}

// The ext_proc filter as eppd needs it; returns the cluster it calls.
std::string expectExtProcForEppd(const YAML::Node& envoy) {
  YAML::Node filters = connectionManager(envoy)["http_filters"];
  YAML::Node extProc = findBy(filters, "name", "envoy.filters.http.ext_proc");
  EXPECT_TRUE(extProc);
  if (!extProc) return "";
  EXPECT_EQ(filters[filters.size() - 1]["name"].as<std::string>(), "envoy.filters.http.router")
      << "the router runs last, after eppd picked";
  YAML::Node config = extProc["typed_config"];
  YAML::Node mode = config["processing_mode"];
  EXPECT_EQ(mode["request_header_mode"].as<std::string>(), "SEND");
  EXPECT_EQ(mode["request_body_mode"].as<std::string>(), "FULL_DUPLEX_STREAMED");
  EXPECT_EQ(mode["response_body_mode"].as<std::string>(), "FULL_DUPLEX_STREAMED");
  EXPECT_EQ(mode["request_trailer_mode"].as<std::string>(), "SEND");
  EXPECT_EQ(mode["response_trailer_mode"].as<std::string>(), "SEND");
  EXPECT_FALSE(config["failure_mode_allow"].as<bool>());
  EXPECT_THAT(strings(config["metadata_options"]["receiving_namespaces"]["untyped"]),
              Contains("envoy.lb"));
  std::string name = config["grpc_service"]["envoy_grpc"]["cluster_name"].as<std::string>();

  // The ext_proc cluster: HTTP/2, health-checked on the ext_proc gRPC health service.
  YAML::Node eppd = cluster(envoy, name);
  EXPECT_TRUE(eppd) << "cluster " << name;
  EXPECT_TRUE(eppd["typed_extension_protocol_options"]
                  ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]["explicit_http_config"]
                  ["http2_protocol_options"]);
  EXPECT_EQ(eppd["health_checks"][0]["grpc_health_check"]["service_name"].as<std::string>(),
            "envoy.service.ext_proc.v3.ExternalProcessor");
  YAML::Node address = eppd["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
                           ["address"]["socket_address"];
  EXPECT_EQ(address["port_value"].as<int>(), 9002);
  return name;
}

YAML::Node onlyRoute(const YAML::Node& envoy) {
  return connectionManager(envoy)["route_config"]["virtual_hosts"][0]["routes"][0]["route"];
}

TEST(EnvoyConfigTest, StandaloneConfigRoutesWhereEppdSaysThroughOriginalDst) {
  YAML::Node envoy = YAML::LoadFile((kDeploy / "envoy" / "envoy.yaml").string());
  expectExtProcForEppd(envoy);
  YAML::Node route = onlyRoute(envoy);
  YAML::Node target = cluster(envoy, route["cluster"].as<std::string>());
  ASSERT_TRUE(target);
  EXPECT_EQ(target["type"].as<std::string>(), "ORIGINAL_DST");
  EXPECT_EQ(target["lb_policy"].as<std::string>(), "CLUSTER_PROVIDED");
  EXPECT_TRUE(target["original_dst_lb_config"]["use_http_header"].as<bool>());
  EXPECT_EQ(target["original_dst_lb_config"]["http_header_name"].as<std::string>(),
            "x-gateway-destination-endpoint");
  EXPECT_EQ(route["timeout"].as<std::string>(), "0s") << "streams may run long";
}

TEST(EnvoyConfigTest, SingleBoxFrontsEppdsServersWithHealthChecksAndFailover) {
  YAML::Node envoy = YAML::LoadFile((kDeploy / "systemd" / "envoy-single-box.yaml").string());
  expectExtProcForEppd(envoy);
  YAML::Node route = onlyRoute(envoy);
  EXPECT_EQ(route["timeout"].as<std::string>(), "0s");
  YAML::Node servers = cluster(envoy, route["cluster"].as<std::string>());
  ASSERT_TRUE(servers);

  // The same servers as eppd's config, health-checked on /health.
  std::set<std::string> envoyHosts, eppdHosts;
  for (const auto& e : servers["load_assignment"]["endpoints"][0]["lb_endpoints"]) {
    YAML::Node a = e["endpoint"]["address"]["socket_address"];
    envoyHosts.insert(a["address"].as<std::string>() + ":" + a["port_value"].as<std::string>());
  }
  YAML::Node eppdConfig = YAML::LoadFile((kDeploy / "systemd" / "eppd.yaml").string());
  for (const auto& e : eppdConfig["endpoints"]) {
    eppdHosts.insert(e["address"].as<std::string>() + ":" + e["port"].as<std::string>());
  }
  EXPECT_EQ(envoyHosts.size(), 4u);
  EXPECT_EQ(envoyHosts, eppdHosts);
  EXPECT_EQ(servers["health_checks"][0]["http_health_check"]["path"].as<std::string>(), "/health");
  EXPECT_LE(servers["health_checks"][0]["unhealthy_threshold"].as<int>(), 3);

  // eppd's pick (header or envoy.lb metadata) chooses the host; least-request otherwise.
  YAML::Node policy = servers["load_balancing_policy"]["policies"][0]["typed_extension_config"];
  EXPECT_EQ(policy["name"].as<std::string>(), "envoy.load_balancing_policies.override_host");
  YAML::Node sources = policy["typed_config"]["override_host_sources"];
  EXPECT_EQ(sources[0]["header"].as<std::string>(), "x-gateway-destination-endpoint");
  EXPECT_EQ(sources[1]["metadata"]["key"].as<std::string>(), "envoy.lb");
  EXPECT_EQ(
      policy["typed_config"]["fallback_policy"]["policies"][0]["typed_extension_config"]["name"]
          .as<std::string>(),
      "envoy.load_balancing_policies.least_request");

  // Failover: retried on another host after a connection failure or reset.
  YAML::Node retry = route["retry_policy"];
  std::string retryOn = retry["retry_on"].as<std::string>();
  EXPECT_THAT(retryOn, HasSubstr("connect-failure"));
  EXPECT_THAT(retryOn, HasSubstr("reset"));
  EXPECT_GE(retry["num_retries"].as<int>(), 1);
  EXPECT_EQ(retry["retry_host_predicate"][0]["name"].as<std::string>(),
            "envoy.retry_host_predicates.previous_hosts");
  // eppd names fallbacks for those retries to use.
  YAML::Node picker = findBy(eppdConfig["plugins"], "type", "max-score-picker");
  EXPECT_GT(picker["parameters"]["maxNumOfEndpoints"].as<int>(), 1);

  // Streaming intact: nothing buffers bodies.
  for (const auto& f : connectionManager(envoy)["http_filters"]) {
    EXPECT_THAT(f["name"].as<std::string>(), ::testing::Not(HasSubstr("buffer")));
  }
}

}  // namespace
}  // namespace epp::testing

// The security keys of the config: server.tls, adminTokenFile (and the refused inline
// adminToken), request limits, listener defaults, pluginSha256; relative paths made
// absolute against the config file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "host/config/picker_config.h"

namespace epp::config {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr const char* kHeader =
    "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
    "kind: EndpointPickerConfig\n";

std::string parseError(const std::string& body) {
  auto config = parseConfig(kHeader + body, "t.yaml");
  return config ? "<parsed>" : config.error();
}

TEST(SecurityConfigTest, DefaultsAreLocalAndBounded) {
  auto config = parseConfig(kHeader, "t.yaml");
  ASSERT_TRUE(config) << config.error();
  const ServerSpec& s = config->server;
  EXPECT_EQ(s.adminAddress, "127.0.0.1");
  EXPECT_EQ(s.metricsAddress, "127.0.0.1");
  EXPECT_FALSE(s.tls.enabled());
  EXPECT_EQ(s.adminTokenFile, "");
  EXPECT_EQ(s.maxRequestBodyBytes, 32 << 20);
  EXPECT_EQ(s.maxRequestHeaders, 200);
  EXPECT_EQ(s.maxRequestHeaderBytes, 96 << 10);
  EXPECT_TRUE(config->pluginSha256.empty());
}

TEST(SecurityConfigTest, ServerSecurityKeys) {
  auto config = parseConfig(std::string(kHeader) + R"(server:
  metricsAddress: 0.0.0.0
  tls:
    certFile: /tls/tls.crt
    keyFile: /tls/tls.key
    clientCaFile: /tls/clients.pem
    refreshInterval: 1500ms
  adminTokenFile: /secrets/admin-token
  maxRequestBodyBytes: 8Mi
  maxRequestHeaders: 64
  maxRequestHeaderBytes: 32Ki
pluginSha256:
  libepp_scorer_queue.so: 3A7BD3E2360A3D29EEA436FCFB7E44C735D117C42D1C1835420B6B9942DD4F1B
  /opt/eppd/plugins/libmine.so: 0000000000000000000000000000000000000000000000000000000000000000
)",
                            "t.yaml");
  ASSERT_TRUE(config) << config.error();
  const ServerSpec& s = config->server;
  EXPECT_EQ(s.metricsAddress, "0.0.0.0");
  EXPECT_TRUE(s.tls.enabled());
  EXPECT_EQ(s.tls.certFile, "/tls/tls.crt");
  EXPECT_EQ(s.tls.keyFile, "/tls/tls.key");
  EXPECT_EQ(s.tls.clientCaFile, "/tls/clients.pem");
  EXPECT_EQ(s.tls.refreshIntervalNs, 2'000'000'000) << "rounded up to whole seconds";
  EXPECT_EQ(s.adminTokenFile, "/secrets/admin-token");
  EXPECT_EQ(s.maxRequestBodyBytes, 8 << 20);
  EXPECT_EQ(s.maxRequestHeaders, 64);
  EXPECT_EQ(s.maxRequestHeaderBytes, 32 << 10);
  EXPECT_EQ(config->pluginSha256.at("libepp_scorer_queue.so"),
            "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b");
  EXPECT_EQ(config->pluginSha256.at("/opt/eppd/plugins/libmine.so"), std::string(64, '0'));
}

TEST(SecurityConfigTest, Mistakes) {
  EXPECT_EQ(parseError("server:\n  tls: {certFile: /a.crt}\n"),
            "t.yaml:4:8: server.tls: missing required key 'keyFile'");
  EXPECT_EQ(parseError("server:\n  tls: {certFile: a, keyFile: b, refreshInterval: 100ms}\n"),
            "t.yaml:4:51: server.tls.refreshInterval: must be between 1s and 1h");
  EXPECT_THAT(parseError("server:\n  adminToken: hunter2\n"),
              HasSubstr("t.yaml:4:15: server.adminToken: a token is not accepted in the config; "
                        "write it to a file readable only by eppd (a Kubernetes Secret volume) "
                        "and set adminTokenFile"));
  EXPECT_EQ(parseError("server: {maxRequestBodyBytes: 2Gi}\n"),
            "t.yaml:3:31: server.maxRequestBodyBytes: must be between 1 and 1073741824 bytes");
  EXPECT_EQ(parseError("server: {maxRequestHeaderBytes: 100}\n"),
            "t.yaml:3:33: server.maxRequestHeaderBytes: must be between 1024 and 16777216 bytes");
  EXPECT_EQ(parseError("server: {maxRequestHeaders: 0}\n"),
            "t.yaml:3:29: server.maxRequestHeaders: must be between 1 and 10000, got 0");
  EXPECT_EQ(parseError("pluginSha256: {lib.so: abc, sub/lib.so: " + std::string(64, 'a') + "}\n"),
            "t.yaml:3:24: pluginSha256.lib.so: expected 64 hex digits (a SHA-256, as sha256sum "
            "prints it), got 'abc'\n"
            "t.yaml:3:29: pluginSha256: 'sub/lib.so' is neither a plugin file name nor an "
            "absolute path");
}

TEST(SecurityConfigTest, RelativeFilesAreRelativeToTheConfigFile) {
  std::string pattern = (fs::temp_directory_path() / "eppd-sec-config-XXXXXX").string();
  fs::path dir = ::mkdtemp(pattern.data());
  std::ofstream(dir / "eppd.yaml") << kHeader
                                   << "server:\n"
                                      "  tls: {certFile: tls/tls.crt, keyFile: tls/tls.key, "
                                      "clientCaFile: /abs/ca.pem}\n"
                                      "  adminTokenFile: ../secrets/token\n";
  auto config = loadConfigFile((dir / "eppd.yaml").string());
  fs::remove_all(dir);
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->server.tls.certFile, (dir / "tls/tls.crt").string());
  EXPECT_EQ(config->server.tls.keyFile, (dir / "tls/tls.key").string());
  EXPECT_EQ(config->server.tls.clientCaFile, "/abs/ca.pem");
  EXPECT_EQ(config->server.adminTokenFile, (dir.parent_path() / "secrets/token").string());
}

}  // namespace
}  // namespace epp::config

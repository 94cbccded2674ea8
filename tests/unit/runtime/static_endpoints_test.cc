// `eppd serve --endpoint`: the flag's grammar, and the endpoints it adds after the
// config's own at load (and so at every reload).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "host/runtime/config_loader.h"
#include "host/runtime/static_endpoints.h"

namespace epp::runtime {
namespace {

using ::testing::HasSubstr;

TEST(EndpointFlagTest, AddressPortAndOptionalName) {
  auto plain = parseEndpointFlag("127.0.0.1:8001");
  ASSERT_TRUE(plain.ok()) << plain.error();
  EXPECT_EQ(plain->address, "127.0.0.1");
  EXPECT_EQ(plain->port, 8001u);
  EXPECT_EQ(plain->name, "127.0.0.1:8001");
  EXPECT_EQ(plain->engine, "vllm");
  EXPECT_EQ(plain->pool, "default");

  auto named = parseEndpointFlag("sim-1=10.0.0.7:9000");
  ASSERT_TRUE(named.ok()) << named.error();
  EXPECT_EQ(named->name, "sim-1");
  EXPECT_EQ(named->address, "10.0.0.7");

  auto v6 = parseEndpointFlag("[::1]:8000");
  ASSERT_TRUE(v6.ok()) << v6.error();
  EXPECT_EQ(v6->address, "::1");
  EXPECT_EQ(v6->name, "[::1]:8000");
}

TEST(EndpointFlagTest, MistakesAreExplained) {
  EXPECT_THAT(parseEndpointFlag("127.0.0.1").error(), HasSubstr("no port"));
  EXPECT_THAT(parseEndpointFlag("localhost:80").error(),
              HasSubstr("'localhost' is not an IPv4 or IPv6 address; host names are not resolved"));
  EXPECT_THAT(parseEndpointFlag("::1:80").error(), HasSubstr("in brackets"));
  EXPECT_THAT(parseEndpointFlag("[::1]80").error(), HasSubstr("[ADDRESS]:PORT"));
  EXPECT_THAT(parseEndpointFlag("1.2.3.4:0").error(), HasSubstr("port '0' is not 1-65535"));
  EXPECT_THAT(parseEndpointFlag("=1.2.3.4:1").error(), HasSubstr("the name before '=' is empty"));
  EXPECT_THAT(parseEndpointFlag("1.2.3.4:x").error(),
              HasSubstr("--endpoint '1.2.3.4:x': port 'x' is not 1-65535 (expected "
                        "[NAME=]ADDRESS:PORT)"));
}

TEST(EndpointFlagTest, AddedAfterTheConfigsOwnAtLoad) {
  auto dir =
      std::filesystem::temp_directory_path() / ("eppd-endpoints-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.yaml") << "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
                                        "kind: EndpointPickerConfig\n"
                                        "plugins: [{type: queue-scorer}]\n"
                                        "endpoints:\n"
                                        "- {address: 10.0.0.1, port: 8000, name: own}\n";
  LoadOptions options;
  options.configPath = (dir / "config.yaml").string();
  options.pluginDirs = {EPP_BUILTIN_PLUGIN_DIR};
  options.pluginCache = dir / "cache";
  options.extraEndpoints = {*parseEndpointFlag("127.0.0.1:8001"),
                            *parseEndpointFlag("b=127.0.0.1:8002")};
  auto loaded = loadConfiguration(options, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  std::vector<std::string> names;
  for (const auto& e : staticEndpoints(loaded->snapshot->config)) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"own", "127.0.0.1:8001", "b"}));

  options.extraEndpoints = {*parseEndpointFlag("x=10.0.0.1:8000")};
  auto duplicate = loadConfiguration(options, 1);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(duplicate.error(),
              HasSubstr("--endpoint x: 10.0.0.1:8000 is already listed as 'own'"));
  options.extraEndpoints = {*parseEndpointFlag("own=10.0.0.9:8000")};
  auto sameName = loadConfiguration(options, 1);
  ASSERT_FALSE(sameName.ok());
  EXPECT_THAT(sameName.error(), HasSubstr("the name 'own' is already used by 10.0.0.1:8000"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace epp::runtime

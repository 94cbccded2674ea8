// Every example in configs/ parses and resolves against the built-in plugin types.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "host/config/picker_config.h"
#include "test_kinds.h"

namespace epp::config {
namespace {

std::vector<std::string> configFiles() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(EPP_CONFIGS_DIR)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ConfigFilesTest, TheExamplesExist) {
  std::vector<std::string> names;
  for (const auto& file : configFiles()) {
    names.push_back(std::filesystem::path(file).filename().string());
  }
  EXPECT_THAT(names,
              ::testing::IsSupersetOf(
                  {"default.yaml", "decision-tree.yaml", "gie-reference.yaml", "random.yaml",
                   "load-only.yaml", "admission.yaml", "canary.yaml", "reference-default.yaml",
                   "pd-disaggregation.yaml", "flow-control.yaml", "multi-tenant.yaml",
                   "kubernetes.yaml", "precise-prefix-cache.yaml", "precise-sim.yaml"}));
}

TEST(ConfigFilesTest, KubernetesExampleWatchesPodsInTheCluster) {
  auto config = loadConfigFile(std::string(EPP_CONFIGS_DIR) + "/kubernetes.yaml");
  ASSERT_TRUE(config) << config.error();
  ASSERT_EQ(config->endpointSources.size(), 1u);
  const EndpointSourceSpec& source = config->endpointSources[0];
  EXPECT_EQ(source.kind, EndpointSourceSpec::Kind::kKubernetes);
  EXPECT_EQ(source.kubernetes.ns, "llm");
  EXPECT_EQ(source.kubernetes.labelSelector, "app=vllm-llama3");
  EXPECT_EQ(source.kubernetes.targetPorts, (std::vector<uint32_t>{8000, 8001}));
  EXPECT_EQ(source.kubernetes.apiServer, "");  // in the cluster
  EXPECT_TRUE(config->endpoints.empty());
}

TEST(ConfigFilesTest, AdmissionExampleDeclaresObjectivesAndItsDetector) {
  auto config = loadConfigFile(std::string(EPP_CONFIGS_DIR) + "/admission.yaml");
  ASSERT_TRUE(config) << config.error();
  ASSERT_TRUE(resolveConfig(*config, testing::lookupIn(testing::builtinKinds())));
  EXPECT_EQ(config->saturationDetectorRef, "utilization-detector");
  std::vector<std::pair<std::string, int32_t>> objectives;
  for (const auto& o : config->objectives) objectives.emplace_back(o.name, o.priority);
  EXPECT_THAT(objectives,
              ::testing::ElementsAre(::testing::Pair("interactive", 10),
                                     ::testing::Pair("standard", 0), ::testing::Pair("batch", -1)));
  // The detector is written, not injected, and stays out of the explicit profile.
  size_t detectors = 0;
  for (const auto& plugin : config->plugins) {
    if (plugin.type != "utilization-detector") continue;
    ++detectors;
    EXPECT_FALSE(plugin.injected);
  }
  EXPECT_EQ(detectors, 1u);
  for (const auto& entry : config->profiles.at(0).plugins) {
    EXPECT_NE(entry.pluginRef, "utilization-detector");
  }
}

TEST(ConfigFilesTest, EveryExampleParsesAndResolves) {
  for (const auto& file : configFiles()) {
    SCOPED_TRACE(file);
    auto config = loadConfigFile(file);
    ASSERT_TRUE(config) << config.error();
    auto status = resolveConfig(*config, testing::lookupIn(testing::builtinKindsWithPolicies()));
    EXPECT_TRUE(status) << status.error();
  }
}

TEST(ConfigFilesTest, PdExampleHasTwoProfilesItsHandlerAndItsDecider) {
  auto config = loadConfigFile(std::string(EPP_CONFIGS_DIR) + "/pd-disaggregation.yaml");
  ASSERT_TRUE(config) << config.error();
  ASSERT_TRUE(resolveConfig(*config, testing::lookupIn(testing::builtinKinds())));
  std::vector<std::string> profiles;
  for (const auto& p : config->profiles) profiles.push_back(p.name);
  EXPECT_THAT(profiles, ::testing::ElementsAre("prefill", "decode"));
  std::map<std::string, std::string> types;
  for (const auto& plugin : config->plugins) types[plugin.name] = plugin.type;
  EXPECT_EQ(types["disagg-profile-handler"], "disagg-profile-handler");
  // The decider the handler names is a plugin of the config.
  const auto& handler =
      *std::find_if(config->plugins.begin(), config->plugins.end(),
                    [](const auto& p) { return p.type == "disagg-profile-handler"; });
  const std::string decider = handler.parameters["deciders"]["prefill"].Scalar();
  EXPECT_EQ(types[decider], "prefix-based-pd-decider");
  // Two endpoints of each role.
  std::map<std::string, int> roles;
  for (const auto& e : config->endpoints) ++roles[e.role];
  EXPECT_EQ(roles, (std::map<std::string, int>{{"decode", 2}, {"prefill", 2}}));
}

TEST(ConfigFilesTest, DecisionTreeExampleIsTheClassicTree) {
  auto config = loadConfigFile(std::string(EPP_CONFIGS_DIR) + "/decision-tree.yaml");
  ASSERT_TRUE(config) << config.error();
  ASSERT_EQ(config->decisionTrees.size(), 1u);
  const DecisionTreeSpec& tree = config->decisionTrees[0];
  auto node = [&](const std::string& name) -> const TreeNodeSpec& {
    for (const auto& n : tree.nodes) {
      if (n.name == name) return n;
    }
    ADD_FAILURE() << "no node " << name;
    return tree.nodes.front();
  };
  auto filterType = [&](const TreeNodeSpec& n) {
    for (const auto& plugin : config->plugins) {
      if (plugin.name == n.filter) return plugin.type;
    }
    return std::string("?");
  };
  // Follows onSuccess (or onFailure) from `start`, naming each node's filter type.
  auto path = [&](const std::string& start, bool success) {
    std::vector<std::string> types;
    for (std::string at = start; !at.empty();) {
      const TreeNodeSpec& n = node(at);
      types.push_back(filterType(n));
      at = success ? n.onSuccess : n.onFailure;
      if (types.size() > 10) break;
    }
    return types;
  };
  const TreeNodeSpec& root = node(tree.root);
  EXPECT_EQ(filterType(root), "low-queue-filter");
  // Success branch: lora-affinity, then least-queue, then least-kv-cache, whatever each
  // returns (same target on success and failure).
  for (bool outcome : {true, false}) {
    EXPECT_THAT(path(root.onSuccess, outcome),
                ::testing::ElementsAre("lora-affinity-filter", "least-queue-filter",
                                       "least-kv-cache-filter"));
    EXPECT_THAT(path(root.onFailure, outcome),
                ::testing::ElementsAre("least-queue-filter", "lora-affinity-filter",
                                       "least-kv-cache-filter"));
  }
  for (const auto& plugin : config->plugins) {
    if (plugin.type == "low-queue-filter") {
      EXPECT_EQ(plugin.parameters["threshold"].Scalar(), "128");
    }
  }
}

}  // namespace
}  // namespace epp::config

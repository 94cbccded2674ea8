// Every example in configs/ and its subfolders against the plugin libraries eppd builds,
// loaded by the real loader, each plugin created with its parameters: the checks
// `eppd validate` makes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "host/config/param_tree.h"
#include "host/config/picker_config.h"
#include "host/loader/plugin_instance.h"
#include "host/loader/plugin_registry.h"
#include "test_kinds.h"

namespace epp::config {
namespace {

namespace fs = std::filesystem;

class ConfigExamplesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "eppd-config-examples-XXXXXX").string();
    cache_ = ::mkdtemp(pattern.data());
    registry_ = new loader::PluginRegistry({.cache_dir = cache_, .host_abi = {}});
    registry_->scan({EPP_BUILTIN_PLUGIN_DIR});
  }
  static void TearDownTestSuite() {
    // Libraries stay mapped until the process ends; only their cached copies go.
    delete registry_;
    registry_ = nullptr;
    std::error_code ec;
    fs::remove_all(cache_, ec);
  }

  static KindLookup kindsOf() {
    return [](const std::string& type) -> std::optional<uint32_t> {
      const loader::RegisteredType* registered = registry_->find(type);
      if (registered == nullptr) return std::nullopt;
      return registered->type->kinds;
    };
  }

  // Every plugin of `config` created with its parameters: the plugins accept them.
  static void createEvery(const PickerConfig& config) {
    for (const PluginSpec& plugin : config.plugins) {
      SCOPED_TRACE(plugin.name);
      const loader::RegisteredType* type = registry_->find(plugin.type);
      ASSERT_NE(type, nullptr);
      auto params = config::ParamTree::fromYaml(plugin.parameters, config.source);
      ASSERT_TRUE(params) << params.error();
      auto instance = loader::PluginInstance::create(*type, plugin.name, params->root());
      EXPECT_TRUE(instance) << instance.error();
    }
  }

  static inline fs::path cache_;
  static inline loader::PluginRegistry* registry_ = nullptr;
};

TEST_F(ConfigExamplesTest, BuiltinPluginsLoad) {
  for (const auto& error : registry_->errors()) ADD_FAILURE() << error.message;
  // The kinds the unit tests assume are the ones the libraries declare.
  constexpr uint32_t kScheduling =
      EPP_KIND_FILTER | EPP_KIND_SCORER | EPP_KIND_PICKER | EPP_KIND_PROFILE_HANDLER;
  for (const auto& [type, kinds] : testing::builtinKinds()) {
    SCOPED_TRACE(type);
    auto actual = kindsOf()(type);
    ASSERT_TRUE(actual.has_value());
    EXPECT_EQ(*actual & kScheduling, kinds & kScheduling);
  }
}

TEST_F(ConfigExamplesTest, EveryExampleResolvesAgainstTheBuiltinPlugins) {
  std::vector<std::string> typeNames;
  for (const auto& [name, registered] : registry_->types()) typeNames.push_back(name);
  size_t checked = 0, scenarios = 0;
  // Subfolders too: configs/scenarios/ holds the runnable scenarios' configs.
  for (const auto& entry : fs::recursive_directory_iterator(EPP_CONFIGS_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    auto config = loadConfigFile(entry.path().string());
    ASSERT_TRUE(config) << config.error();
    auto status = resolveConfig(*config, kindsOf(), typeNames);
    EXPECT_TRUE(status) << status.error();
    createEvery(*config);
    ++checked;
    scenarios += entry.path().parent_path().filename() == "scenarios";
  }
  EXPECT_GE(checked, 5u);
  EXPECT_EQ(scenarios, 5u);
}

TEST_F(ConfigExamplesTest, DefaultConfigResolvesAgainstTheBuiltinPlugins) {
  PickerConfig config = defaultConfig();
  auto status = resolveConfig(config, kindsOf());
  EXPECT_TRUE(status) << status.error();
  createEvery(config);
}

}  // namespace
}  // namespace epp::config

// PluginRegistry over directories of real plugins: bad files beside good ones, type
// conflicts and pins, side-by-side versions and how long libraries stay mapped.
#include "host/loader/plugin_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/loader/plugin_instance.h"
#include "test_support.h"

namespace epp::loader {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_abi::score;
namespace fs = std::filesystem;
using testing_abi::TempDir;

class RegistryTest : public ::testing::Test {
 protected:
  std::unique_ptr<PluginRegistry> makeRegistry() {
    return std::make_unique<PluginRegistry>(PluginRegistry::Options{.cache_dir = dir_ / "cache"});
  }
  fs::path plugins() const { return dir_ / "plugins"; }
  fs::path copy(const char* source, const std::string& name) {
    return testing_abi::copyPlugin(source, plugins() / name);
  }
  std::vector<std::string> errorMessages(const PluginRegistry& registry) {
    std::vector<std::string> messages;
    for (const auto& error : registry.errors()) messages.push_back(error.message);
    return messages;
  }

  TempDir dir_;
};

TEST_F(RegistryTest, BadFilesAreReportedAndDoNotStopGoodOnes) {
  copy(TP_SCORER_V1, "a_scorer.so");
  testing_abi::writeFile(plugins() / "b_garbage.so", "garbage");
  testing_abi::writeFile(plugins() / "c_empty.so", "");
  copy(TP_INIT_FAIL, "d_init_fail.so");
  copy(TP_OTHER_SCORER, "e_other.so");
  testing_abi::writeFile(plugins() / "notes.txt", "not a plugin, not even looked at");
  copy(TP_NO_ENTRY, ".hidden.so");

  auto registry = makeRegistry();
  EXPECT_FALSE(registry->scan({plugins()}));

  std::vector<std::string> types;
  for (const auto& [name, registered] : registry->types()) types.push_back(name);
  EXPECT_THAT(types, ElementsAre("other-scorer", "test-scorer"));
  EXPECT_EQ(registry->find("test-scorer")->file, plugins() / "a_scorer.so");
  EXPECT_EQ(registry->find("other-scorer")->library->name(), "other-plugin");
  EXPECT_EQ(registry->libraries().size(), 2u);

  ASSERT_EQ(registry->errors().size(), 3u);
  EXPECT_EQ(registry->errors()[0].file, plugins() / "b_garbage.so");
  EXPECT_EQ(registry->errors()[0].message,
            (plugins() / "b_garbage.so").string() + ": not a shared object (no ELF header)");
  EXPECT_EQ(registry->errors()[1].file, plugins() / "c_empty.so");
  EXPECT_EQ(registry->errors()[2].file, plugins() / "d_init_fail.so");
  EXPECT_THAT(registry->errors()[2].message, HasSubstr("widget database unavailable"));
}

TEST_F(RegistryTest, MissingDirectoryIsAnError) {
  auto registry = makeRegistry();
  EXPECT_FALSE(registry->scan({dir_ / "absent"}));
  ASSERT_EQ(registry->errors().size(), 1u);
  EXPECT_THAT(registry->errors()[0].message,
              HasSubstr((dir_ / "absent").string() + ": cannot read plugin directory"));
}

TEST_F(RegistryTest, TwoLibrariesWithOneTypeConflict) {
  fs::path alpha = copy(TP_SCORER_ALPHA, "alpha.so");
  fs::path beta = copy(TP_SCORER_BETA, "beta.so");
  auto registry = makeRegistry();
  EXPECT_FALSE(registry->scan({plugins()}));
  EXPECT_EQ(registry->find("test-scorer"), nullptr);
  EXPECT_THAT(errorMessages(*registry),
              ElementsAre("type 'test-scorer' is provided by several libraries (" + alpha.string() +
                          ", " + beta.string() + "); pin one to use it"));
}

TEST_F(RegistryTest, PinResolvesConflictByLibraryNameOrFile) {
  fs::path alpha = copy(TP_SCORER_ALPHA, "alpha.so");
  copy(TP_SCORER_BETA, "beta.so");
  auto registry = makeRegistry();

  registry->setPins({{"test-scorer", "beta"}});
  EXPECT_TRUE(registry->scan({plugins()})) << errorMessages(*registry)[0];
  ASSERT_NE(registry->find("test-scorer"), nullptr);
  EXPECT_EQ(registry->find("test-scorer")->library->name(), "beta");

  registry->setPins({{"test-scorer", alpha.string()}});
  EXPECT_TRUE(registry->scan({plugins()}));
  EXPECT_EQ(registry->find("test-scorer")->library->name(), "alpha");

  registry->setPins({{"test-scorer", "gamma"}});
  EXPECT_FALSE(registry->scan({plugins()}));
  EXPECT_EQ(registry->find("test-scorer"), nullptr);
  EXPECT_THAT(errorMessages(*registry)[0], HasSubstr("pinned to 'gamma', which is none of"));
}

TEST_F(RegistryTest, SameContentInTwoDirectoriesIsNoConflict) {
  copy(TP_SCORER_V1, "x.so");
  testing_abi::copyPlugin(TP_SCORER_V1, dir_ / "more" / "y.so");
  auto registry = makeRegistry();
  EXPECT_TRUE(registry->scan({plugins(), dir_ / "more"}));
  EXPECT_EQ(registry->libraries().size(), 1u);
  EXPECT_EQ(registry->find("test-scorer")->file, plugins() / "x.so");
}

TEST_F(RegistryTest, ReplacedFileLoadsSideBySideWithTheOldVersion) {
  auto registry = makeRegistry();
  copy(TP_SCORER_V1, "x.so");
  ASSERT_TRUE(registry->scan({plugins()}));
  auto v1 = PluginInstance::create(*registry->find("test-scorer"), "v1");
  auto v1_second = PluginInstance::create(*registry->find("test-scorer"), "v1-second");
  ASSERT_TRUE(v1 && v1_second);

  copy(TP_SCORER_V2, "x.so");
  ASSERT_TRUE(registry->scan({plugins()}));
  auto v2 = PluginInstance::create(*registry->find("test-scorer"), "v2");
  ASSERT_TRUE(v2) << v2.error();

  const auto& old_library = (*v1)->library();
  const auto& new_library = (*v2)->library();
  EXPECT_NE(old_library, new_library);
  EXPECT_EQ(old_library->version(), "1.0.0");
  EXPECT_EQ(new_library->version(), "2.0.0");
  EXPECT_NE(old_library->cachedPath(), new_library->cachedPath());
  EXPECT_TRUE(testing_abi::isMapped(old_library->cachedPath()));
  EXPECT_TRUE(testing_abi::isMapped(new_library->cachedPath()));

  // [version, creates in this library, live instances in this library, value]
  EXPECT_THAT(score(**v1), ElementsAre(1, 2, 2, 0));
  EXPECT_THAT(score(**v2), ElementsAre(2, 1, 1, 0));
  v1_second->reset();
  EXPECT_THAT(score(**v1), ElementsAre(1, 2, 1, 0));
  EXPECT_THAT(score(**v2), ElementsAre(2, 1, 1, 0));
}

TEST_F(RegistryTest, LibraryStaysMappedWhileAnInstanceLives) {
  copy(TP_SCORER_V1, "x.so");
  auto registry = makeRegistry();
  ASSERT_TRUE(registry->scan({plugins()}));
  auto instance = PluginInstance::create(*registry->find("test-scorer"), "scorer");
  ASSERT_TRUE(instance);
  fs::path cached = (*instance)->library()->cachedPath();

  registry.reset();
  EXPECT_TRUE(testing_abi::isMapped(cached));
  EXPECT_THAT(score(**instance), ElementsAre(1, 1, 1, 0));
  instance->reset();
  EXPECT_FALSE(testing_abi::isMapped(cached));
}

TEST_F(RegistryTest, LibraryStaysMappedWhileTheRegistryHoldsIt) {
  copy(TP_SCORER_V1, "x.so");
  auto registry = makeRegistry();
  ASSERT_TRUE(registry->scan({plugins()}));
  fs::path cached = registry->find("test-scorer")->library->cachedPath();
  {
    auto instance = PluginInstance::create(*registry->find("test-scorer"), "scorer");
    ASSERT_TRUE(instance);
  }
  EXPECT_TRUE(testing_abi::isMapped(cached));
  registry.reset();
  EXPECT_FALSE(testing_abi::isMapped(cached));
}

}  // namespace
}  // namespace epp::loader

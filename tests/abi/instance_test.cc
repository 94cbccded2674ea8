// PluginInstance: create with YAML parameters through the host table, the plugin's own
// error messages (with file:line:col), destroy.
#include "host/loader/plugin_instance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/config/param_tree.h"
#include "test_support.h"

namespace epp::loader {
namespace {

using ::testing::ElementsAre;
using testing_abi::score;
namespace fs = std::filesystem;
using testing_abi::TempDir;

class InstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing_abi::copyPlugin(TP_SCORER_V1, dir_ / "plugins/x.so");
    ASSERT_TRUE(registry_.scan({dir_ / "plugins"}));
    type_ = registry_.find("test-scorer");
    ASSERT_NE(type_, nullptr);
  }

  common::Result<std::shared_ptr<PluginInstance>> create(const std::string& yaml) {
    auto tree = config::ParamTree::parse(yaml, "params.yaml");
    EXPECT_TRUE(tree) << tree.error();
    return PluginInstance::create(*type_, "my-scorer", tree->root());
  }

  TempDir dir_;
  PluginRegistry registry_{{.cache_dir = dir_ / "cache"}};
  const RegisteredType* type_ = nullptr;
};

TEST_F(InstanceTest, CreateReadsParameters) {
  auto instance = create("value: 7\n");
  ASSERT_TRUE(instance) << instance.error();
  EXPECT_EQ((*instance)->name(), "my-scorer");
  EXPECT_EQ((*instance)->typeName(), "test-scorer");
  EXPECT_EQ(&(*instance)->type(), type_->type);
  EXPECT_NE((*instance)->pluginPtr(), nullptr);
  EXPECT_EQ(InstanceHost::fromHandle((*instance)->hostPtr())->name(), "my-scorer");
  EXPECT_THAT(score(**instance), ElementsAre(1, 1, 1, 7));
}

TEST_F(InstanceTest, CreateWithoutParameters) {
  auto instance = PluginInstance::create(*type_, "plain");
  ASSERT_TRUE(instance) << instance.error();
  EXPECT_THAT(score(**instance), ElementsAre(1, 1, 1, 0));
}

TEST_F(InstanceTest, UnknownParameterIsRejectedWithItsLocation) {
  auto instance = create("value: 1\nvalu: 2\n");
  ASSERT_FALSE(instance);
  EXPECT_EQ(instance.error(),
            "instance 'my-scorer' (test-scorer): unknown parameter 'valu' at params.yaml:2:7");
}

TEST_F(InstanceTest, WrongTypeIsRejectedWithItsLocation) {
  auto instance = create("value: 1.5\n");
  ASSERT_FALSE(instance);
  EXPECT_EQ(instance.error(),
            "instance 'my-scorer' (test-scorer): parameter 'value' at params.yaml:1:8 must be an "
            "integer");
  auto list = create("[1, 2]\n");
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error(),
            "instance 'my-scorer' (test-scorer): parameters at params.yaml:1:1 must be a map");
}

TEST_F(InstanceTest, DestroyRunsBeforeTheInstanceGoes) {
  auto first = create("value: 1\n");
  auto second = create("value: 2\n");
  ASSERT_TRUE(first && second);
  EXPECT_THAT(score(**second), ElementsAre(1, 2, 2, 2));
  first->reset();
  EXPECT_THAT(score(**second), ElementsAre(1, 2, 1, 2));
}

}  // namespace
}  // namespace epp::loader

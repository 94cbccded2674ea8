// Which instances a reload keeps: built with the real built-in plugin libraries, the
// next snapshot reuses the very instance objects whose name, type, parameters and library
// did not change, and creates fresh ones for the rest.
#include "host/runtime/carry_over.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "host/runtime/config_snapshot.h"

namespace epp::runtime {
namespace {

std::string canonical(const std::string& yaml) { return canonicalParameters(YAML::Load(yaml)); }

TEST(CanonicalParametersTest, KeyOrderLayoutAndCommentsDoNotMatter) {
  EXPECT_EQ(canonical("{a: 1, b: {x: [1, 2], y: z}}"),
            canonical("b:\n  y: z   # a comment\n  x:\n  - 1\n  - 2\na: 1\n"));
  EXPECT_EQ(canonical(""), canonical("~"));
}

TEST(CanonicalParametersTest, ValuesAndScalarStylesDo) {
  EXPECT_NE(canonical("{threshold: 10}"), canonical("{threshold: 11}"));
  EXPECT_NE(canonical("{threshold: 10}"), canonical("{threshold: '10'}"));
  EXPECT_NE(canonical("{a: [1, 2]}"), canonical("{a: [2, 1]}"));
  EXPECT_NE(canonical("{}"), canonical("~"));
}

class CarryOverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new loader::PluginRegistry(
        {.cache_dir = std::filesystem::temp_directory_path() / "eppd-carry-over-test-cache",
         .host_abi = {}});
    ASSERT_TRUE(registry_->scan({EPP_BUILTIN_PLUGIN_DIR})) << registry_->errors().front().message;
  }

  ConfigSnapshotPtr build(const std::string& body, uint64_t generation,
                          const ConfigSnapshot* previous) {
    auto parsed = config::parseConfig(
        "apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n" + body,
        "test.yaml");
    EXPECT_TRUE(parsed) << parsed.error();
    if (!parsed) return nullptr;
    auto resolved = config::resolveConfig(*parsed, kindLookup(*registry_));
    EXPECT_TRUE(resolved) << resolved.error();
    auto snap = buildSnapshot(std::move(*parsed), *registry_, generation, previous);
    EXPECT_TRUE(snap) << snap.error();
    return snap ? *snap : nullptr;
  }

  static const loader::PluginInstance* find(const ConfigSnapshotPtr& s, const std::string& name) {
    return s->find(name);
  }
  static uint64_t since(const ConfigSnapshotPtr& s, const std::string& name) {
    for (size_t i = 0; i < s->instances.size(); ++i) {
      if (s->instances[i]->name() == name) return s->instanceInfo[i].createdInGeneration;
    }
    return 0;
  }

  static std::string config(int queueWeight, int threshold, const std::string& pickerType) {
    return "plugins:\n"
           "- type: queue-scorer\n"
           "- type: prefix-cache-scorer\n"
           "- type: low-queue-filter\n"
           "  parameters: {threshold: " +
           std::to_string(threshold) +
           "}\n"
           "- {name: picker, type: " +
           pickerType +
           "}\n"
           "schedulingProfiles:\n"
           "- name: default\n"
           "  plugins:\n"
           "  - {pluginRef: low-queue-filter}\n"
           "  - {pluginRef: queue-scorer, weight: " +
           std::to_string(queueWeight) +
           "}\n"
           "  - {pluginRef: prefix-cache-scorer, weight: 3}\n"
           "  - {pluginRef: picker}\n";
  }

  static inline loader::PluginRegistry* registry_ = nullptr;
};

TEST_F(CarryOverTest, AWeightChangeKeepsEveryInstance) {
  ConfigSnapshotPtr a = build(config(2, 10, "max-score-picker"), 1, nullptr);
  ConfigSnapshotPtr b = build(config(5, 10, "max-score-picker"), 2, a.get());
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->instances.size(), b->instances.size());
  for (size_t i = 0; i < a->instances.size(); ++i) {
    EXPECT_EQ(a->instances[i], b->instances[i]) << a->instances[i]->name();
    EXPECT_EQ(b->instanceInfo[i].createdInGeneration, 1u);
  }
  // The injected producer (the prefix index) is among them.
  EXPECT_NE(find(b, "approx-prefix-cache-producer"), nullptr);
  EXPECT_EQ(find(a, "approx-prefix-cache-producer"), find(b, "approx-prefix-cache-producer"));
  EXPECT_EQ(b->scheduler.profiles[0].scorers[0].weight, 5);
}

TEST_F(CarryOverTest, NewParametersOrANewTypeUnderTheSameNameStartFresh) {
  ConfigSnapshotPtr a = build(config(2, 10, "max-score-picker"), 1, nullptr);
  ConfigSnapshotPtr b = build(config(2, 20, "random-picker"), 2, a.get());
  ASSERT_TRUE(a && b);
  EXPECT_NE(find(a, "low-queue-filter"), find(b, "low-queue-filter"));
  EXPECT_EQ(since(b, "low-queue-filter"), 2u);
  EXPECT_NE(find(a, "picker"), find(b, "picker"));
  EXPECT_EQ(find(b, "picker")->typeName(), "random-picker");
  EXPECT_EQ(find(a, "queue-scorer"), find(b, "queue-scorer"));
  EXPECT_EQ(since(b, "queue-scorer"), 1u);
  // Carried over twice: still the generation it was created in.
  ConfigSnapshotPtr c = build(config(3, 20, "random-picker"), 3, b.get());
  EXPECT_EQ(find(b, "low-queue-filter"), find(c, "low-queue-filter"));
  EXPECT_EQ(since(c, "low-queue-filter"), 2u);
  EXPECT_EQ(since(c, "queue-scorer"), 1u);
}

TEST_F(CarryOverTest, PredecessorRules) {
  ConfigSnapshotPtr a = build(config(2, 10, "max-score-picker"), 1, nullptr);
  ASSERT_TRUE(a);
  const loader::RegisteredType* filter = registry_->find("low-queue-filter");
  const loader::RegisteredType* picker = registry_->find("random-picker");
  ASSERT_TRUE(filter && picker);
  std::string params = canonical("{threshold: 10}");
  Predecessor same = findPredecessor(a.get(), "low-queue-filter", *filter, params);
  EXPECT_TRUE(same.reusable);
  EXPECT_EQ(same.instance.get(), find(a, "low-queue-filter"));
  Predecessor changed = findPredecessor(a.get(), "low-queue-filter", *filter, canonical("{}"));
  EXPECT_FALSE(changed.reusable);
  EXPECT_TRUE(changed.sameType);
  Predecessor otherType = findPredecessor(a.get(), "picker", *picker, canonical("~"));
  EXPECT_FALSE(otherType.reusable);
  EXPECT_FALSE(otherType.sameType);
  EXPECT_EQ(findPredecessor(a.get(), "nobody", *filter, params).instance, nullptr);
  EXPECT_EQ(findPredecessor(nullptr, "low-queue-filter", *filter, params).instance, nullptr);
}

}  // namespace
}  // namespace epp::runtime

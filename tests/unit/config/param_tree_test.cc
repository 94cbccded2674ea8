// The parameter tree: structure, locations, typed reads and the strictness rules.
#include "host/config/param_tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace epp::config {
namespace {

using ::testing::HasSubstr;

TEST(ParamTreeTest, MapsListsAndScalarsWithLocations) {
  auto tree = ParamTree::parse(
      "threshold: 128\n"
      "modes:\n"
      "  - fast\n"
      "  - \"safe\"\n"
      "nested: {a: 1.5, b: true}\n"
      "empty:\n",
      "plugins.yaml");
  ASSERT_TRUE(tree) << tree.error();
  const ParamNode& root = tree->root();
  EXPECT_EQ(root.kind(), EPP_PARAM_MAP);
  EXPECT_EQ(root.size(), 4u);
  EXPECT_EQ(root.keyAt(0), "threshold");
  EXPECT_EQ(root.keyAt(3), "empty");
  EXPECT_EQ(root.location(), "plugins.yaml:1:1");

  const ParamNode* threshold = root.find("threshold");
  ASSERT_NE(threshold, nullptr);
  EXPECT_EQ(threshold->kind(), EPP_PARAM_SCALAR);
  EXPECT_EQ(threshold->location(), "plugins.yaml:1:12");
  EXPECT_EQ(*threshold->asInt(), 128);
  EXPECT_EQ(*threshold->asDouble(), 128.0);
  EXPECT_EQ(*threshold->asString(), "128");

  const ParamNode* modes = root.find("modes");
  ASSERT_NE(modes, nullptr);
  EXPECT_EQ(modes->kind(), EPP_PARAM_LIST);
  ASSERT_EQ(modes->size(), 2u);
  EXPECT_EQ(modes->keyAt(0), "");
  EXPECT_EQ(*modes->at(1)->asString(), "safe");
  EXPECT_EQ(modes->at(1)->location(), "plugins.yaml:4:5");
  EXPECT_EQ(modes->at(2), nullptr);
  EXPECT_EQ(modes->find("fast"), nullptr);

  const ParamNode* nested = root.find("nested");
  EXPECT_EQ(*nested->find("a")->asDouble(), 1.5);
  EXPECT_EQ(*nested->find("b")->asBool(), true);

  const ParamNode* empty = root.find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->kind(), EPP_PARAM_NULL);
  EXPECT_THAT(empty->location(), ::testing::StartsWith("plugins.yaml:"));
  EXPECT_EQ(root.find("absent"), nullptr);
}

TEST(ParamTreeTest, TypedReadErrorsCarryTheLocation) {
  auto tree = ParamTree::parse("a: 1.5\nb: [1]\nc: 10XB\nd: 2h\n", "f.yaml");
  ASSERT_TRUE(tree);
  const ParamNode& root = tree->root();
  EXPECT_EQ(root.find("a")->asInt().error(), "f.yaml:1:4: expected an integer, got '1.5'");
  EXPECT_EQ(root.find("b")->asString().error(), "f.yaml:2:4: expected a scalar, got a list");
  EXPECT_THAT(root.find("c")->asBytes().error(), HasSubstr("f.yaml:3:4: expected a byte"));
  EXPECT_EQ(*root.find("d")->asDurationNs(), int64_t{7'200'000'000'000});
  EXPECT_EQ(root.asBool().error(), "f.yaml:1:1: expected a scalar, got a map");
}

TEST(ParamTreeTest, DuplicateKeysAreErrors) {
  auto tree = ParamTree::parse("a: 1\nb: 2\na: 3\n", "dup.yaml");
  ASSERT_FALSE(tree);
  EXPECT_EQ(tree.error(), "dup.yaml:3:1: duplicate key 'a'");
}

TEST(ParamTreeTest, NonScalarKeysAreErrors) {
  auto tree = ParamTree::parse("? [a, b]\n: 1\n", "keys.yaml");
  ASSERT_FALSE(tree);
  EXPECT_THAT(tree.error(), HasSubstr("keys.yaml:1:3: map keys must be scalars"));
}

TEST(ParamTreeTest, SyntaxErrorsCarryTheLocation) {
  auto tree = ParamTree::parse("a: [1, 2\nb: 3\n", "bad.yaml");
  ASSERT_FALSE(tree);
  EXPECT_THAT(tree.error(), ::testing::StartsWith("bad.yaml:"));
}

TEST(ParamTreeTest, AliasBombsAreRefused) {
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char previous = 'a';
  for (char c = 'b'; c <= 'h'; ++c) {
    yaml += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) yaml += std::string(i ? ", *" : "*") + previous;
    yaml += "]\n";
    previous = c;
  }
  auto tree = ParamTree::parse(yaml, "bomb.yaml");
  ASSERT_FALSE(tree);
  EXPECT_THAT(tree.error(), HasSubstr("parameter tree too large"));
}

TEST(ParamTreeTest, EmptyDocumentAndNullTree) {
  auto tree = ParamTree::parse("", "empty.yaml");
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->root().kind(), EPP_PARAM_NULL);
  EXPECT_EQ(tree->root().size(), 0u);

  ParamTree none = ParamTree::null("config.yaml:7:5");
  EXPECT_EQ(none.root().kind(), EPP_PARAM_NULL);
  EXPECT_EQ(none.root().location(), "config.yaml:7:5");
}

TEST(ParamTreeTest, FromYamlSubtreeKeepsDocumentLocations) {
  YAML::Node doc = YAML::Load("plugins:\n  - type: x\n    parameters:\n      k: 5\n");
  auto tree = ParamTree::fromYaml(doc["plugins"][0]["parameters"], "epp.yaml");
  ASSERT_TRUE(tree) << tree.error();
  EXPECT_EQ(tree->root().find("k")->location(), "epp.yaml:4:10");
}

TEST(ParamTreeTest, NodesSurviveMovingTheTree) {
  auto tree = ParamTree::parse("k: v\n", "m.yaml");
  ASSERT_TRUE(tree);
  const ParamNode* k = tree->root().find("k");
  ParamTree moved = std::move(*tree);
  EXPECT_EQ(moved.root().find("k"), k);
  EXPECT_EQ(ParamNode::fromHandle(k->handle()), k);
}

}  // namespace
}  // namespace epp::config

// The strict YAML helpers: suggestions, error ordering, typed reads, document limits.
#include "host/config/yaml_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/config/suggest.h"

namespace epp::config {
namespace {

using ::testing::HasSubstr;

TEST(SuggestTest, EditDistance) {
  EXPECT_EQ(editDistance("type", "type"), 0u);
  EXPECT_EQ(editDistance("tpye", "type"), 1u);  // a transposition costs one
  EXPECT_EQ(editDistance("PluginRef", "pluginRef"), 0u);
  EXPECT_EQ(editDistance("weigth", "weight"), 1u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
}

TEST(SuggestTest, ClosestName) {
  std::vector<std::string_view> keys = {"name", "type", "parameters"};
  EXPECT_EQ(closestName("paramters", keys), "parameters");
  EXPECT_EQ(closestName("nam", keys), "name");
  EXPECT_EQ(closestName("x", keys), std::nullopt);  // too short to guess from
  EXPECT_EQ(closestName("params", keys), std::nullopt);
  EXPECT_EQ(closestName("data", {"dataLayer", "kind"}), "dataLayer");
  EXPECT_EQ(closestName("plug", {"plugins", "pluginDirs"}), std::nullopt);  // ambiguous prefix
  EXPECT_EQ(didYouMean("tpye", keys), " (did you mean 'type'?)");
  EXPECT_EQ(didYouMean("zzzzzz", keys), "");
}

TEST(DiagnosticsTest, SortedDeduplicatedWithFileFallback) {
  Diagnostics diag("f.yaml");
  diag.error(Location{"f.yaml", 3, 1}, "third");
  diag.error(Location{"f.yaml", 1, 5}, "first");
  diag.error(Location{"f.yaml", 3, 1}, "third");
  diag.error(Location{}, "whole file");
  EXPECT_EQ(diag.size(), 4u);
  EXPECT_EQ(diag.joined(), "f.yaml: whole file\nf.yaml:1:5: first\nf.yaml:3:1: third");
}

TEST(YamlReaderTest, TypedReads) {
  auto doc = loadDocument("a: 12\nb: 1.5\nc: true\nd: 10Mi\ne: 250ms\nf: [x, '']\ng:\n", "r.yaml");
  ASSERT_TRUE(doc) << doc.error();
  Diagnostics diag("r.yaml");
  MapReader map(diag, Field::root(*doc, "r.yaml"), {"a", "b", "c", "d", "e", "f", "g"});
  EXPECT_EQ(readInt(diag, *map.get("a"), 0, 100), 12);
  EXPECT_EQ(readDouble(diag, *map.get("b")), 1.5);
  EXPECT_EQ(readBool(diag, *map.get("c")), true);
  EXPECT_EQ(readBytes(diag, *map.get("d")), 10 << 20);
  EXPECT_EQ(readDurationNs(diag, *map.get("e")), 250'000'000);
  EXPECT_EQ(readString(diag, *map.get("a")), "12");
  EXPECT_TRUE(diag.empty()) << diag.joined();

  EXPECT_EQ(readInt(diag, *map.get("a"), 0, 10), std::nullopt);
  EXPECT_EQ(readStringList(diag, *map.get("f")), std::vector<std::string>{"x"});
  EXPECT_EQ(readString(diag, *map.get("g")), std::nullopt);
  EXPECT_EQ(map.get("g")->where.str(), "r.yaml:7:1");
  EXPECT_EQ(diag.joined(),
            "r.yaml:1:4: a: must be between 0 and 10, got 12\n"
            "r.yaml:6:8: f[1]: must not be empty\n"
            "r.yaml:7:1: g: expected a string, got null");
}

TEST(YamlReaderTest, DeepNestingIsRefused) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto doc = loadDocument(deep, "deep.yaml");
  ASSERT_FALSE(doc);
  EXPECT_THAT(doc.error(), HasSubstr("nests more than 64 levels deep"));
}

}  // namespace
}  // namespace epp::config

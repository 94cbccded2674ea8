// Model name resolution: exact names, aliases, versioned names (numeric order), case.
#include "host/routing/model_names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace epp::routing {
namespace {

// The served model a requested name resolves to ("" when none) and how.
std::string resolve(const ModelNameTable& t, const std::vector<std::string>& names,
                    const std::string& requested) {
  auto r = t.resolve(requested);
  if (!r) return "";
  return names[r->model] + " (" + nameMatchName(r->how) + ")";
}

TEST(VersionedNameTest, ParsesTheSuffixAfterTheLastDash) {
  auto v = parseVersionedName("llama2-7b-v10");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->base, "llama2-7b");
  EXPECT_EQ(v->version, (std::vector<uint64_t>{10}));
  v = parseVersionedName("qwen-V2.5.1");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->base, "qwen");
  EXPECT_EQ(v->version, (std::vector<uint64_t>{2, 5, 1}));
  for (const char* plain : {"llama2-7b", "llama-v", "x-v1a", "-v1", "x-v1.", "x-v.1", "x-v1..2",
                            "v1", "llama-v2-chat", "x-v1234567890123456789"}) {
    EXPECT_FALSE(parseVersionedName(plain)) << plain;
  }
}

TEST(VersionedNameTest, ComparesNumerically) {
  using V = std::vector<uint64_t>;
  EXPECT_GT(compareVersions(V{10}, V{9}), 0);
  EXPECT_GT(compareVersions(V{1, 10}, V{1, 9}), 0);
  EXPECT_LT(compareVersions(V{1, 2}, V{2}), 0);
  EXPECT_EQ(compareVersions(V{1, 0}, V{1}), 0);
  EXPECT_GT(compareVersions(V{1, 0, 1}, V{1}), 0);
}

class ModelNameTableTest : public ::testing::Test {
 protected:
  ModelNameTable build(bool caseInsensitive) {
    ModelNameTable t(caseInsensitive);
    for (size_t i = 0; i < names_.size(); ++i)
      EXPECT_FALSE(t.addName(names_[i], static_cast<int>(i)));
    EXPECT_FALSE(t.addAlias("llama", 2));
    EXPECT_FALSE(t.addAlias("Chat-Default", 4));
    t.finish();
    return t;
  }
  std::vector<std::string> names_{"llama2-7b-v2", "llama2-7b-v9", "llama2-7b-v10", "llama2-7b-v1.5",
                                  "Qwen-2.5-7B",  "mistral-v1",   "mistral-v1.0"};
};

TEST_F(ModelNameTableTest, ResolutionTable) {
  ModelNameTable t = build(false);
  struct Case {
    const char* requested;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"llama2-7b-v9", "llama2-7b-v9 (exact)"},
           {"llama2-7b", "llama2-7b-v10 (version)"},  // 10 > 9 > 2 > 1.5, not text order
           {"llama", "llama2-7b-v10 (alias)"},
           {"Qwen-2.5-7B", "Qwen-2.5-7B (exact)"},
           {"qwen-2.5-7b", ""},  // case matters unless configured otherwise
           {"Chat-Default", "Qwen-2.5-7B (alias)"},
           {"mistral", "mistral-v1 (version)"},  // v1 == v1.0: the first written wins
           {"llama2-7b-v3", ""},                 // versions are never guessed
           {"llama2", ""},
           {"", ""},
       }) {
    EXPECT_EQ(resolve(t, names_, c.requested), c.expected) << c.requested;
  }
}

TEST_F(ModelNameTableTest, CaseInsensitive) {
  ModelNameTable t = build(true);
  EXPECT_EQ(resolve(t, names_, "qwen-2.5-7b"), "Qwen-2.5-7B (exact)");
  EXPECT_EQ(resolve(t, names_, "LLAMA2-7B"), "llama2-7b-v10 (version)");
  EXPECT_EQ(resolve(t, names_, "LLAMA2-7B-V2"), "llama2-7b-v2 (exact)");
  EXPECT_EQ(resolve(t, names_, "chat-default"), "Qwen-2.5-7B (alias)");
  EXPECT_EQ(resolve(t, names_, "LLAMA"), "llama2-7b-v10 (alias)");
}

TEST_F(ModelNameTableTest, ATakenNameReportsItsHolder) {
  ModelNameTable sensitive(false);
  EXPECT_FALSE(sensitive.addName("Qwen", 0));
  EXPECT_FALSE(sensitive.addName("qwen", 1));
  EXPECT_EQ(sensitive.addAlias("qwen", 2), 1);
  ModelNameTable insensitive(true);
  EXPECT_FALSE(insensitive.addName("Qwen", 0));
  EXPECT_EQ(insensitive.addName("qwen", 1), 0);
  EXPECT_EQ(insensitive.addAlias("QWEN", 1), 0);
}

}  // namespace
}  // namespace epp::routing

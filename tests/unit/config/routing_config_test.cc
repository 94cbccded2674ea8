// The `routing` section: models (names, aliases, LoRA adapters), rules, and every mistake
// with its file:line:col, names checked with the lookup requests use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epp/abi.h"
#include "host/config/picker_config.h"
#include "test_kinds.h"

namespace epp::config {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr const char* kHeader =
    "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
    "kind: EndpointPickerConfig\n";

std::string parseError(const std::string& body) {
  auto config = parseConfig(kHeader + body, "r.yaml");
  if (config) return "<parsed>";
  return config.error();
}

TEST(RoutingConfigTest, ModelsAndRules) {
  auto config = parseConfig(std::string(kHeader) + R"(
plugins:
- {name: split, type: weighted-splitter}
routing:
  caseInsensitive: true
  models:
  - llama2-7b-v1
  - {name: llama2-7b-v2, aliases: [llama2, L2]}
  - {name: sql-lora, baseModel: LLAMA2}
  - {name: tenant-lora, lora: true, loraFallback: false}
  rules:
  - name: canary
    model: llama2-7b
    headers: {X-Tenant: acme}
    splitter: split
    targets:
    - {model: llama2-7b-v1, weight: 90}
    - {model: l2, weight: 10}
  - model: latest
    targets: [{model: LLAMA2-7B}]
    baseModel: llama2-7b-v1
)",
                            "r.yaml");
  ASSERT_TRUE(config) << config.error();
  const RoutingSpec& r = config->routing;
  EXPECT_TRUE(r.caseInsensitive);
  ASSERT_EQ(r.models.size(), 4u);
  EXPECT_EQ(r.models[0].name, "llama2-7b-v1");
  EXPECT_FALSE(r.models[0].lora);
  EXPECT_THAT(r.models[1].aliases, ElementsAre("llama2", "L2"));
  EXPECT_TRUE(r.models[2].lora);
  EXPECT_EQ(r.models[2].baseModel, "llama2-7b-v2") << "the base resolves to its served name";
  EXPECT_FALSE(r.models[2].loraFallback.has_value());
  EXPECT_TRUE(r.models[3].lora);
  EXPECT_EQ(r.models[3].loraFallback, false);
  ASSERT_EQ(r.rules.size(), 2u);
  const RoutingRuleSpec& canary = r.rules[0];
  EXPECT_EQ(canary.name, "canary");
  EXPECT_EQ(canary.model, "llama2-7b");
  EXPECT_THAT(canary.headers, ElementsAre(Pair("x-tenant", "acme")));
  EXPECT_EQ(canary.splitter, "split");
  ASSERT_EQ(canary.targets.size(), 2u);
  EXPECT_EQ(canary.targets[0].weight, 90);
  EXPECT_EQ(canary.targets[1].model, "llama2-7b-v2") << "alias, case folded";
  EXPECT_EQ(canary.where.str(), "r.yaml:14:11");
  const RoutingRuleSpec& latest = r.rules[1];
  EXPECT_EQ(latest.name, "latest");
  EXPECT_EQ(latest.targets.at(0).model, "llama2-7b-v2") << "newest version";
  EXPECT_EQ(latest.targets.at(0).weight, 1);
  EXPECT_EQ(latest.baseModel, "llama2-7b-v1");
  // The splitter is a pluginRef resolveConfig checks.
  bool found = false;
  for (const auto& ref : config->refs) {
    if (ref.field == "routing.rules[0].splitter") {
      found = true;
      EXPECT_EQ(ref.pluginRef, "split");
      EXPECT_EQ(ref.requiredKinds, EPP_KIND_TRAFFIC_SPLITTER);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(resolveConfig(*config, testing::lookupIn(testing::builtinKinds())));
}

TEST(RoutingConfigTest, ModelErrors) {
  EXPECT_EQ(parseError("routing:\n"
                       "  caseInsensitive: true\n"
                       "  models:\n"
                       "  - Qwen\n"
                       "  - {name: qwen}\n"
                       "  - {name: a, aliases: [QWEN, b]}\n"
                       "  - {name: c, alias: x}\n"
                       "  - {name: l1, baseModel: nope}\n"
                       "  - {name: l2, baseModel: l1}\n"
                       "  - {name: l3, baseModel: a, lora: false}\n"
                       "  - {name: d, loraFallback: true}\n"),
            "r.yaml:7:12: routing.models[1]: model name 'qwen' is already used by model 'Qwen' "
            "(line 6) (names ignore case)\n"
            "r.yaml:8:12: routing.models[2]: model name 'QWEN' is already used by model 'Qwen' "
            "(line 6) (names ignore case)\n"
            "r.yaml:9:15: routing.models[3]: unknown key 'alias' (did you mean 'aliases'?)\n"
            "r.yaml:10:27: routing: baseModel 'nope' of 'l1' is not in routing.models\n"
            "r.yaml:11:27: routing: baseModel 'l1' of 'l2' is a LoRA adapter itself\n"
            "r.yaml:12:27: routing.models[6].baseModel: a model with a baseModel is a LoRA "
            "adapter; drop `lora: false`\n"
            "r.yaml:13:29: routing.models[7].loraFallback: only a LoRA adapter (lora: true or "
            "baseModel) falls back");
}

TEST(RoutingConfigTest, RuleErrors) {
  EXPECT_EQ(parseError("routing:\n"
                       "  models: [m-v1, m-v2]\n"
                       "  rules:\n"
                       "  - {model: m}\n"
                       "  - {model: m, targets: []}\n"
                       "  - {model: m, targets: [{model: m-v1, weight: -1}]}\n"
                       "  - {model: m, targets: [{model: m-v1, weight: 0}]}\n"
                       "  - {model: m, targets: [{model: m-v1}, {model: m-v2}]}\n"
                       "  - {model: m, targets: [{model: m-v3}], splitter: s, match: x}\n"
                       "  - {model: m, targets: [{model: m-v3}]}\n"),
            "r.yaml:6:5: routing.rules[0]: missing required key 'targets'\n"
            "r.yaml:7:25: routing.rules[1].targets: list at least one target\n"
            "r.yaml:8:48: routing.rules[2].targets[0].weight: must be 0 or more\n"
            "r.yaml:9:25: routing.rules[3].targets: the weights add up to 0\n"
            "r.yaml:10:13: routing.rules[4]: a rule with 2 targets needs a splitter (the name "
            "of a traffic splitter plugin, e.g. weighted-splitter)\n"
            "r.yaml:11:34: routing: target model 'm-v3' of rule 'm' is not in routing.models\n"
            "r.yaml:11:55: routing.rules[5]: unknown key 'match'; expected one of: name, model, "
            "headers, splitter, targets, baseModel, loraFallback\n"
            "r.yaml:12:13: routing: rule 'm' never matches: rule 'm' (line 11) matches the same "
            "model and headers first\n"
            "r.yaml:12:34: routing: target model 'm-v3' of rule 'm' is not in routing.models");
}

TEST(RoutingConfigTest, RuleNamesAreUnique) {
  EXPECT_EQ(parseError("routing:\n"
                       "  rules:\n"
                       "  - {name: r, model: a, targets: [{model: x}]}\n"
                       "  - {name: r, model: b, targets: [{model: y}]}\n"),
            "r.yaml:6:12: routing.rules[1]: rule name 'r' is used twice (first at line 5)");
}

TEST(RoutingConfigTest, WithoutAModelListTargetsAreNamesAsWritten) {
  auto config = parseConfig(std::string(kHeader) +
                                "routing:\n"
                                "  rules:\n"
                                "  - {model: a, headers: {x-beta: '1'}, targets: [{model: B}]}\n"
                                "  - {model: a, targets: [{model: C}]}\n",
                            "r.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->routing.rules.at(0).targets.at(0).model, "B");
  EXPECT_EQ(config->routing.rules.at(1).targets.at(0).model, "C");
}

TEST(RoutingConfigTest, SplitterMustBeATrafficSplitter) {
  auto config = parseConfig(std::string(kHeader) +
                                "plugins:\n"
                                "- type: queue-scorer\n"
                                "routing:\n"
                                "  rules:\n"
                                "  - model: a\n"
                                "    splitter: queue-scorer\n"
                                "    targets: [{model: b}, {model: c}]\n"
                                "  - model: b\n"
                                "    splitter: nope\n"
                                "    targets: [{model: b}, {model: c}]\n",
                            "r.yaml");
  ASSERT_TRUE(config) << config.error();
  auto status = resolveConfig(*config, testing::lookupIn(testing::builtinKinds()));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(),
            "r.yaml:8:15: routing.rules[0].splitter: 'queue-scorer' is a scorer, not a traffic "
            "splitter\n"
            "r.yaml:11:15: routing.rules[1].splitter: no plugin named 'nope'");
}

}  // namespace
}  // namespace epp::config

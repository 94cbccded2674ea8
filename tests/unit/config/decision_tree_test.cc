// decisionTrees: predicate syntax, node shapes, and the resolve checks (profiles, filters,
// node names, reachability, cycles).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/config/picker_config.h"
#include "test_kinds.h"

namespace epp::config {
namespace {

using ::testing::ElementsAre;
using Op = PredicateSpec::Op;
using Subject = PredicateSpec::Subject;
using testing::builtinKinds;
using testing::lookupIn;

// Header, four filters, a scorer and a picker, one profile `p` of the scorer and picker.
constexpr const char* kPreamble = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- {type: low-queue-filter, parameters: {threshold: 128}}
- {type: lora-affinity-filter}
- {type: least-queue-filter}
- {type: least-kv-cache-filter}
- {type: queue-scorer}
- {type: max-score-picker}
schedulingProfiles:
- name: p
  plugins: [{pluginRef: queue-scorer}, {pluginRef: max-score-picker}]
)";
// kPreamble has 12 lines: trees start at line 13.

std::string parseError(const std::string& trees) {
  auto config = parseConfig(kPreamble + trees, "t.yaml");
  return config ? "<parsed>" : config.error();
}

std::string resolveError(const std::string& trees) {
  auto config = parseConfig(kPreamble + trees, "t.yaml");
  if (!config) return "parse: " + config.error();
  auto status = resolveConfig(*config, lookupIn(builtinKinds()));
  return status ? "<resolved>" : status.error();
}

PredicateSpec predicate(const std::string& yaml) {
  auto config = parseConfig(std::string(kPreamble) +
                                "decisionTrees:\n- profile: p\n  root: n\n  nodes:\n"
                                "  - name: n\n    predicate: " +
                                yaml + "\n",
                            "t.yaml");
  EXPECT_TRUE(config) << config.error();
  if (!config) return {};
  return *config->decisionTrees.at(0).nodes.at(0).predicate;
}

TEST(DecisionTreeTest, ClassicLowLatencyTree) {
  auto config = parseConfig(std::string(kPreamble) + R"(decisionTrees:
- profile: p
  root: low-queue
  nodes:
  - {name: low-queue, filter: low-queue-filter, onSuccess: affinity, onFailure: fallback-queue}
  - {name: affinity, filter: lora-affinity-filter, onSuccess: least-queue, onFailure: least-queue}
  - {name: least-queue, filter: least-queue-filter, onSuccess: least-kv, onFailure: least-kv}
  - {name: fallback-queue, filter: least-queue-filter, onSuccess: fallback-affinity, onFailure: fallback-affinity}
  - {name: fallback-affinity, filter: lora-affinity-filter, onSuccess: least-kv, onFailure: least-kv}
  - {name: least-kv, filter: least-kv-cache-filter}
)",
                            "t.yaml");
  ASSERT_TRUE(config) << config.error();
  ASSERT_TRUE(resolveConfig(*config, lookupIn(builtinKinds())));
  const DecisionTreeSpec& tree = config->decisionTrees.at(0);
  EXPECT_EQ(tree.profile, "p");
  EXPECT_EQ(tree.root, "low-queue");
  EXPECT_EQ(tree.where.str(), "t.yaml:14:12");
  EXPECT_EQ(tree.rootWhere.str(), "t.yaml:15:9");
  ASSERT_EQ(tree.nodes.size(), 6u);
  const TreeNodeSpec& first = tree.nodes[0];
  EXPECT_EQ(first.filter, "low-queue-filter");
  EXPECT_EQ(first.onSuccess, "affinity");
  EXPECT_EQ(first.onFailure, "fallback-queue");
  EXPECT_EQ(first.where.str(), "t.yaml:17:12");
  EXPECT_EQ(first.filterWhere.str(), "t.yaml:17:31");
  EXPECT_FALSE(first.predicate.has_value());
  EXPECT_TRUE(tree.nodes[5].onSuccess.empty());
  EXPECT_TRUE(tree.nodes[5].onFailure.empty());
}

TEST(DecisionTreeTest, Predicates) {
  PredicateSpec header = predicate("{header: X-LoRA, present: true}");
  EXPECT_EQ(header.subject, Subject::kHeader);
  EXPECT_EQ(header.header, "x-lora");
  EXPECT_EQ(header.op, Op::kPresent);

  EXPECT_EQ(predicate("{header: x-tier, present: false}").op, Op::kAbsent);
  PredicateSpec in = predicate("{header: x-tier, in: [gold, silver]}");
  EXPECT_EQ(in.op, Op::kIn);
  EXPECT_THAT(in.values, ElementsAre("gold", "silver"));
  PredicateSpec prefix = predicate("{header: ':path', prefix: /v1/chat}");
  EXPECT_EQ(prefix.header, ":path");
  EXPECT_EQ(prefix.op, Op::kPrefix);
  EXPECT_THAT(prefix.values, ElementsAre("/v1/chat"));

  PredicateSpec model = predicate("{model: {in: [a, b]}}");
  EXPECT_EQ(model.subject, Subject::kModel);
  EXPECT_EQ(model.op, Op::kIn);
  EXPECT_THAT(model.values, ElementsAre("a", "b"));
  EXPECT_THAT(predicate("{model: {equals: llama}}").values, ElementsAre("llama"));

  PredicateSpec lora = predicate("{lora: {present: true}}");
  EXPECT_EQ(lora.subject, Subject::kLora);
  EXPECT_EQ(lora.op, Op::kPresent);
  EXPECT_EQ(predicate("{lora: {prefix: sql-}}").op, Op::kPrefix);

  PredicateSpec length = predicate("{promptLength: {gt: 4000}}");
  EXPECT_EQ(length.subject, Subject::kPromptLength);
  EXPECT_EQ(length.op, Op::kGt);
  EXPECT_EQ(length.number, 4000.0);

  PredicateSpec priority = predicate("{priority: {ge: -1}}");
  EXPECT_EQ(priority.subject, Subject::kPriority);
  EXPECT_EQ(priority.op, Op::kGe);
  EXPECT_EQ(priority.number, -1.0);
  PredicateSpec exact = predicate("{priority: {equals: 2}}");
  EXPECT_EQ(exact.op, Op::kEquals);
  EXPECT_EQ(exact.number, 2.0);
  EXPECT_TRUE(exact.values.empty());
}

TEST(DecisionTreeTest, PredicateErrors) {
  auto tree = [](const std::string& predicate) {
    return parseError(
        "decisionTrees:\n- profile: p\n  root: n\n  nodes:\n"
        "  - name: n\n    predicate: " +
        predicate + "\n");
  };
  // Line 18: "    predicate: " puts the predicate's value at column 16.
  EXPECT_EQ(tree("{model: {gt: 3}}"),
            "t.yaml:18:24: decisionTrees[0].nodes[0].predicate.model: needs exactly one operator "
            "of: equals, in, prefix\n"
            "t.yaml:18:25: decisionTrees[0].nodes[0].predicate.model: unknown key 'gt'; expected "
            "one of: equals, in, prefix");
  EXPECT_EQ(tree("{promptLength: {gt: 10, lt: 20}}"),
            "t.yaml:18:31: decisionTrees[0].nodes[0].predicate.promptLength: needs exactly one "
            "operator of: gt, ge, lt, le");
  EXPECT_EQ(tree("{promptLength: {gt: -1}}"),
            "t.yaml:18:36: decisionTrees[0].nodes[0].predicate.promptLength.gt: must be between 0 "
            "and 2147483647, got -1");
  EXPECT_EQ(tree("{priority: {ge: high}}"),
            "t.yaml:18:32: decisionTrees[0].nodes[0].predicate.priority.ge: expected an integer, "
            "got 'high'");
  EXPECT_EQ(tree("{model: {equals: a}, lora: {present: true}}"),
            "t.yaml:18:16: decisionTrees[0].nodes[0].predicate: needs exactly one of header, "
            "model, lora, promptLength, priority");
  EXPECT_EQ(tree("{}"),
            "t.yaml:18:16: decisionTrees[0].nodes[0].predicate: needs exactly one of header, "
            "model, lora, promptLength, priority");
  EXPECT_EQ(tree("{header: x-a, present: yes}"),
            "t.yaml:18:39: decisionTrees[0].nodes[0].predicate.present: expected true or false, "
            "got 'yes'");
  EXPECT_EQ(tree("{header: 'bad header', present: true}"),
            "t.yaml:18:25: decisionTrees[0].nodes[0].predicate.header: 'bad header' is not a "
            "valid header name");
  EXPECT_EQ(tree("{header: x-a}"),
            "t.yaml:18:16: decisionTrees[0].nodes[0].predicate: needs exactly one operator of: "
            "present, equals, in, prefix");
  EXPECT_EQ(tree("{header: x-a, in: []}"),
            "t.yaml:18:34: decisionTrees[0].nodes[0].predicate.in: needs at least one value");
  EXPECT_EQ(tree("{lora: {presnt: true}}"),
            "t.yaml:18:23: decisionTrees[0].nodes[0].predicate.lora: needs exactly one operator "
            "of: present, equals, in, prefix\n"
            "t.yaml:18:24: decisionTrees[0].nodes[0].predicate.lora: unknown key 'presnt' (did "
            "you mean 'present'?)");
}

TEST(DecisionTreeTest, NodeShapeErrors) {
  EXPECT_EQ(parseError("decisionTrees:\n"
                       "- profile: p\n"
                       "  nodes:\n"
                       "  - {name: both, filter: least-queue-filter, predicate: {lora: {present: "
                       "true}}}\n"
                       "  - {name: neither, onSuccess: both}\n"
                       "  - {filter: least-queue-filter}\n"
                       "  - {name: x, filter: least-queue-filter, onFailure: ''}\n"
                       "- {profile: q, root: a, nodes: []}\n"),
            "t.yaml:14:3: decisionTrees[0]: missing required key 'root'\n"
            "t.yaml:16:5: decisionTrees[0].nodes[0]: node 'both' has both a filter and a "
            "predicate\n"
            "t.yaml:17:5: decisionTrees[0].nodes[1]: node 'neither' needs a filter or a "
            "predicate\n"
            "t.yaml:18:5: decisionTrees[0].nodes[2]: missing required key 'name'\n"
            "t.yaml:19:54: decisionTrees[0].nodes[3].onFailure: must not be empty\n"
            "t.yaml:20:32: decisionTrees[1].nodes: needs at least one node");
}

TEST(DecisionTreeTest, ReferenceErrors) {
  EXPECT_EQ(resolveError(R"(decisionTrees:
- profile: q
  root: a
  nodes: [{name: a, filter: least-queue-filter}]
- profile: p
  root: start
  nodes:
  - {name: a, filter: least-queue-filtr, onSuccess: b, onFailure: c}
  - {name: b, filter: queue-scorer, onSuccess: zz}
  - {name: b, filter: least-kv-cache-filter}
)"),
            "t.yaml:14:12: decision tree: no scheduling profile named 'q'\n"
            "t.yaml:22:12: decision tree 'p': duplicate node name 'b' (first at line 21)");
  EXPECT_EQ(resolveError(R"(decisionTrees:
- profile: p
  root: start
  nodes:
  - {name: a, filter: least-queue-filtr, onSuccess: b, onFailure: c}
  - {name: b, filter: queue-scorer, onSuccess: zz}
  - {name: c, filter: least-kv-cache-filter}
)"),
            "t.yaml:15:9: decision tree 'p': root 'start' is not a node of this tree\n"
            "t.yaml:17:23: decision tree 'p': node 'a': no plugin named 'least-queue-filtr' (did "
            "you mean 'least-queue-filter'?)\n"
            "t.yaml:18:23: decision tree 'p': node 'b': 'queue-scorer' is a scorer, not a "
            "filter\n"
            "t.yaml:18:48: decision tree 'p': node 'b': onSuccess 'zz' is not a node of this "
            "tree");
}

TEST(DecisionTreeTest, CyclesAndUnreachableNodes) {
  EXPECT_EQ(resolveError(R"(decisionTrees:
- profile: p
  root: a
  nodes:
  - {name: a, filter: low-queue-filter, onSuccess: b, onFailure: c}
  - {name: b, filter: lora-affinity-filter, onSuccess: c, onFailure: c}
  - {name: c, filter: least-queue-filter, onFailure: a}
)"),
            "t.yaml:19:54: decision tree 'p': cycle a -> b -> c -> a");
  EXPECT_EQ(resolveError(R"(decisionTrees:
- profile: p
  root: a
  nodes:
  - {name: a, filter: low-queue-filter, onSuccess: a}
)"),
            "t.yaml:17:52: decision tree 'p': cycle a -> a");
  EXPECT_EQ(resolveError(R"(decisionTrees:
- profile: p
  root: a
  nodes:
  - {name: a, filter: low-queue-filter}
  - {name: orphan, filter: least-queue-filter}
)"),
            "t.yaml:18:12: decision tree 'p': node 'orphan' is not reachable from root 'a'");
}

TEST(DecisionTreeTest, ProfileWithTreeListsNoPlainFilters) {
  auto config = parseConfig(std::string(kPreamble) +
                                "- name: q\n"
                                "  plugins: [{pluginRef: least-queue-filter}, {pluginRef: "
                                "queue-scorer}]\n"
                                "decisionTrees:\n"
                                "- {profile: q, root: a, nodes: [{name: a, filter: "
                                "low-queue-filter}]}\n"
                                "- {profile: q, root: a, nodes: [{name: a, filter: "
                                "low-queue-filter}]}\n"
                                "- {profile: p, root: a, nodes: [{name: a, predicate: {model: "
                                "{equals: m}}}]}\n"
                                "- {profile: p, root: a, nodes: [{name: a, filter: "
                                "low-queue-filter}]}\n",
                            "t.yaml");
  ASSERT_TRUE(config) << config.error();
  config->plugins.push_back(PluginSpec{.name = "pd", .type = "pd-profile-handler"});
  auto kinds = builtinKinds();
  kinds["pd-profile-handler"] = EPP_KIND_PROFILE_HANDLER;
  auto status = resolveConfig(*config, lookupIn(kinds));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(),
            "t.yaml:14:25: profile 'q': filter 'least-queue-filter' is listed, but the profile's "
            "filters come from its decision tree; make it a node\n"
            "t.yaml:17:13: decision tree: profile 'q' already has one (at line 16)\n"
            "t.yaml:19:13: decision tree: profile 'p' already has one (at line 18)");
}

}  // namespace
}  // namespace epp::config

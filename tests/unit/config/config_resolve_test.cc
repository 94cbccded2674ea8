// resolveConfig: the reference's defaults and auto-injection, and every reference check
// with the location of the offending node.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "epp/abi.h"
#include "host/config/picker_config.h"
#include "test_kinds.h"

namespace epp::config {
namespace {

using testing::builtinKinds;
using ::testing::ElementsAre;
using testing::lookupIn;
using testing::referenceKinds;

constexpr const char* kHeader =
    "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
    "kind: EndpointPickerConfig\n";

PickerConfig parsed(const std::string& body) {
  auto config = parseConfig(kHeader + body, "r.yaml");
  EXPECT_TRUE(config) << config.error();
  return config ? std::move(*config) : PickerConfig{};
}

// The resolve error of kHeader + body (parsing must succeed).
std::string resolveError(const std::string& body,
                         std::map<std::string, uint32_t> kinds = builtinKinds()) {
  PickerConfig config = parsed(body);
  auto status = resolveConfig(config, lookupIn(std::move(kinds)));
  return status ? "<resolved>" : status.error();
}

std::vector<std::string> pluginList(const PickerConfig& config) {
  std::vector<std::string> out;
  for (const auto& plugin : config.plugins) {
    out.push_back(plugin.name + (plugin.name != plugin.type ? "(" + plugin.type + ")" : "") +
                  (plugin.injected ? "*" : ""));
  }
  return out;
}

std::vector<std::string> profileEntries(const ProfileSpec& profile) {
  std::vector<std::string> out;
  for (const auto& entry : profile.plugins) {
    out.push_back(entry.pluginRef + (entry.weight ? "=" + std::to_string(int(*entry.weight)) : "") +
                  (entry.injected ? "*" : ""));
  }
  return out;
}

TEST(ResolveTest, DefaultConfigGetsHandlerAndProducer) {
  PickerConfig config = defaultConfig();
  auto status = resolveConfig(config, lookupIn(builtinKinds()));
  ASSERT_TRUE(status) << status.error();
  EXPECT_THAT(pluginList(config),
              ElementsAre("queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer",
                          "max-score-picker", "approx-prefix-cache-producer*",
                          "utilization-detector*", "single-profile-handler*"));
  EXPECT_EQ(config.plugins[0].kinds, EPP_KIND_SCORER);
  EXPECT_EQ(config.plugins[6].kinds, EPP_KIND_PROFILE_HANDLER);
  // The built-in utilization-detector is injected and named the saturation detector; no
  // parser or flow-control policy ships yet, so none is injected.
  EXPECT_EQ(config.saturationDetectorRef, "utilization-detector");
  EXPECT_FALSE(config.parserRef.has_value());
}

TEST(ResolveTest, InjectedDetectorStaysOutOfTheDefaultProfile) {
  PickerConfig config = parsed("plugins: [{type: low-queue-filter}, {type: queue-scorer}]\n");
  auto status = resolveConfig(config, lookupIn(builtinKinds()));
  ASSERT_TRUE(status) << status.error();
  EXPECT_EQ(config.saturationDetectorRef, "utilization-detector");
  EXPECT_THAT(profileEntries(config.profiles[0]),
              ElementsAre("low-queue-filter", "queue-scorer", "max-score-picker*"));
  // One the user wrote is used, not a second one, and as a filter it joins the profile.
  PickerConfig written = parsed("plugins: [{name: util, type: utilization-detector}]\n");
  status = resolveConfig(written, lookupIn(builtinKinds()));
  ASSERT_TRUE(status) << status.error();
  EXPECT_EQ(written.saturationDetectorRef, "util");
  EXPECT_THAT(pluginList(written), ElementsAre("util(utilization-detector)", "max-score-picker*",
                                               "single-profile-handler*"));
  EXPECT_THAT(profileEntries(written.profiles[0]), ElementsAre("util", "max-score-picker*"));
  // A detector named in saturationDetector is not replaced.
  PickerConfig named = parsed(
      "plugins: [{type: concurrency-detector}, {type: queue-scorer}]\n"
      "saturationDetector: {pluginRef: concurrency-detector}\n");
  status = resolveConfig(named, lookupIn(builtinKinds()));
  ASSERT_TRUE(status) << status.error();
  EXPECT_EQ(named.saturationDetectorRef, "concurrency-detector");
  EXPECT_THAT(pluginList(named), ElementsAre("concurrency-detector", "queue-scorer",
                                             "max-score-picker*", "single-profile-handler*"));
}

TEST(ResolveTest, ReferenceExampleWithReferenceKinds) {
  PickerConfig config = parsed(R"(plugins:
- {type: approx-prefix-cache-producer}
- {type: prefix-cache-scorer}
- {name: picker, type: max-score-picker}
- {type: utilization-detector}
- {type: openai-parser}
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: utilization-detector}
  - {pluginRef: prefix-cache-scorer, weight: 3}
  - {pluginRef: picker}
saturationDetector: {pluginRef: utilization-detector}
parser: {pluginRef: openai-parser}
)");
  auto status = resolveConfig(config, lookupIn(referenceKinds()));
  ASSERT_TRUE(status) << status.error();
  EXPECT_THAT(pluginList(config),
              ElementsAre("approx-prefix-cache-producer", "prefix-cache-scorer",
                          "picker(max-score-picker)", "utilization-detector", "openai-parser",
                          "fcfs-ordering-policy*", "global-strict-fairness-policy*",
                          "static-usage-limit-policy*", "single-profile-handler*"));
  EXPECT_THAT(profileEntries(config.profiles[0]),
              ElementsAre("utilization-detector", "prefix-cache-scorer=3", "picker"));
}

TEST(ResolveTest, ParserAndDetectorInjectedWhenKnown) {
  PickerConfig config = parsed("plugins: [{type: queue-scorer}]\n");
  auto status = resolveConfig(config, lookupIn(referenceKinds()));
  ASSERT_TRUE(status) << status.error();
  EXPECT_EQ(config.parserRef, "openai-parser");
  EXPECT_EQ(config.saturationDetectorRef, "utilization-detector");
  // Injected plugins stay out of the default profile, even a detector that is a filter.
  EXPECT_THAT(profileEntries(config.profiles[0]), ElementsAre("queue-scorer", "max-score-picker*"));
}

TEST(ResolveTest, LlmdPrefillDecodeWithPdHandler) {
  PickerConfig config = parsed(R"(plugins:
- type: prefill-filter
- type: decode-filter
- type: prefix-cache-scorer
  parameters: {blockSizeTokens: 16}
- type: max-score-picker
- type: pd-profile-handler
schedulingProfiles:
- name: prefill
  plugins: [{pluginRef: prefill-filter}, {pluginRef: prefix-cache-scorer}, {pluginRef: max-score-picker}]
- name: decode
  plugins: [{pluginRef: decode-filter}, {pluginRef: prefix-cache-scorer}]
)");
  auto status = resolveConfig(config, lookupIn(referenceKinds()));
  ASSERT_TRUE(status) << status.error();
  // The scorer's parameters, as older configs write them, go to the injected producer.
  const PluginSpec& producer = config.plugins[5];
  EXPECT_EQ(producer.type, "approx-prefix-cache-producer");
  EXPECT_TRUE(producer.injected);
  EXPECT_EQ(producer.parameters["blockSizeTokens"].Scalar(), "16");
  EXPECT_EQ(producer.where.str(), "r.yaml:6:9");
  // decode has no picker: it shares the written max-score-picker.
  EXPECT_THAT(profileEntries(config.profiles[1]),
              ElementsAre("decode-filter", "prefix-cache-scorer", "max-score-picker*"));
}

TEST(ResolveTest, PreciseScorerGetsTheApproximateProducerForItsFallback) {
  PickerConfig config = parsed(R"(plugins:
- type: precise-prefix-cache-scorer
  parameters: {tokenProcessorConfig: {blockSize: 64}}
- type: queue-scorer
)");
  ASSERT_TRUE(resolveConfig(config, lookupIn(builtinKinds())));
  EXPECT_THAT(
      pluginList(config),
      ElementsAre("precise-prefix-cache-scorer", "queue-scorer", "approx-prefix-cache-producer*",
                  "utilization-detector*", "max-score-picker*", "single-profile-handler*"));
  // Its parameters are not the producer's: the producer keeps its defaults.
  EXPECT_FALSE(config.plugins[2].parameters.IsDefined() && !config.plugins[2].parameters.IsNull());

  PickerConfig strict = parsed(R"(plugins:
- type: precise-prefix-cache-scorer
  parameters: {fallback: none}
)");
  ASSERT_TRUE(resolveConfig(strict, lookupIn(builtinKinds())));
  EXPECT_THAT(pluginList(strict),
              ElementsAre("precise-prefix-cache-scorer", "utilization-detector*",
                          "max-score-picker*", "single-profile-handler*"));
}

TEST(ResolveTest, NoProfilesMakesADefaultProfileOfFiltersScorersAndPickers) {
  PickerConfig config = parsed(R"(plugins:
- type: decode-filter
- {name: q, type: queue-scorer}
- type: approx-prefix-cache-producer
- type: random-picker
)");
  auto status = resolveConfig(config, lookupIn(builtinKinds()));
  ASSERT_TRUE(status) << status.error();
  ASSERT_EQ(config.profiles.size(), 1u);
  EXPECT_EQ(config.profiles[0].name, "default");
  EXPECT_TRUE(config.profiles[0].injected);
  EXPECT_THAT(profileEntries(config.profiles[0]),
              ElementsAre("decode-filter", "q", "random-picker"));
}

TEST(ResolveTest, SharedInjectedPickerAndUniqueNames) {
  PickerConfig config = parsed(R"(plugins:
- {name: max-score-picker, type: queue-scorer}
- type: prefill-filter
- type: decode-filter
- type: single-profile-handler
schedulingProfiles:
- {name: a, plugins: [{pluginRef: prefill-filter}, {pluginRef: max-score-picker}]}
)");
  auto status = resolveConfig(config, lookupIn(builtinKinds()));
  ASSERT_TRUE(status) << status.error();
  // The name max-score-picker is taken by a scorer: the injected picker gets another.
  EXPECT_THAT(profileEntries(config.profiles[0]),
              ElementsAre("prefill-filter", "max-score-picker", "max-score-picker-2*"));
  EXPECT_EQ(config.plugins.back().type, "max-score-picker");
}

TEST(ResolveTest, ResolvingTwiceChangesNothing) {
  PickerConfig config = defaultConfig();
  ASSERT_TRUE(resolveConfig(config, lookupIn(builtinKinds())));
  auto plugins = pluginList(config);
  auto entries = profileEntries(config.profiles[0]);
  auto again = resolveConfig(config, lookupIn(builtinKinds()));
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(pluginList(config), plugins);
  EXPECT_EQ(profileEntries(config.profiles[0]), entries);
}

TEST(ResolveTest, UnknownTypes) {
  EXPECT_EQ(resolveError("plugins:\n- type: queue-scorr\n- type: token-load-scorer\n"
                         "- type: totally-new\n"),
            "r.yaml:4:9: unknown plugin type 'queue-scorr' (did you mean 'queue-scorer'?)\n"
            "r.yaml:5:9: plugin type 'token-load-scorer' is not provided by any loaded plugin "
            "library\n"
            "r.yaml:6:9: unknown plugin type 'totally-new'");
}

TEST(ResolveTest, UnknownTypeSuggestsFromTypeNames) {
  PickerConfig config = parsed("plugins:\n- type: my-scorr\n");
  auto kinds = builtinKinds();
  kinds["my-scorer"] = EPP_KIND_SCORER;
  auto status = resolveConfig(config, lookupIn(kinds), {"my-scorer"});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(),
            "r.yaml:4:9: unknown plugin type 'my-scorr' (did you mean 'my-scorer'?)");
}

TEST(ResolveTest, UnknownTypeDoesNotCascade) {
  EXPECT_EQ(
      resolveError("plugins:\n- {name: s, type: nope}\n- type: max-score-picker\n"
                   "schedulingProfiles:\n- name: p\n  plugins: [{pluginRef: s, weight: 2}]\n"),
      "r.yaml:4:19: unknown plugin type 'nope'");
}

TEST(ResolveTest, DuplicateNames) {
  EXPECT_EQ(resolveError("plugins:\n- type: queue-scorer\n- {name: queue-scorer, type: "
                         "kv-cache-utilization-scorer}\nschedulingProfiles:\n- name: p\n"
                         "  plugins: []\n- name: p\n  plugins: []\n"),
            "r.yaml:5:10: duplicate plugin name 'queue-scorer' (first at line 4)\n"
            "r.yaml:6:1: missing profile handler: 2 scheduling profiles (p, p) need a "
            "profile-handler plugin such as pd-profile-handler\n"
            "r.yaml:9:9: duplicate profile name 'p' (first at line 7)");
}

TEST(ResolveTest, DanglingRefs) {
  EXPECT_EQ(resolveError(R"(plugins:
- type: queue-scorer
- type: max-score-picker
schedulingProfiles:
- name: p
  plugins: [{pluginRef: queue-scorre}, {pluginRef: ghost}]
saturationDetector: {pluginRef: detector}
parser: {pluginRef: openai-parser}
dataLayer:
  sources: [{pluginRef: metrics, extractors: [{pluginRef: core}]}]
flowControl:
  defaultPriorityBand: {fairnessPolicyRef: rr, orderingPolicyRef: max-score-picker}
  usageLimitPolicyPluginRef: limit
)"),
            "r.yaml:8:25: profile 'p': no plugin named 'queue-scorre' (did you mean "
            "'queue-scorer'?)\n"
            "r.yaml:8:52: profile 'p': no plugin named 'ghost'\n"
            "r.yaml:9:33: saturationDetector.pluginRef: no plugin named 'detector'\n"
            "r.yaml:10:21: parser.pluginRef: no plugin named 'openai-parser'\n"
            "r.yaml:12:25: dataLayer.sources[0].pluginRef: no plugin named 'metrics'\n"
            "r.yaml:12:59: dataLayer.sources[0].extractors[0].pluginRef: no plugin named 'core'\n"
            "r.yaml:14:44: flowControl.defaultPriorityBand.fairnessPolicyRef: no plugin named "
            "'rr'\n"
            "r.yaml:14:67: flowControl.defaultPriorityBand.orderingPolicyRef: 'max-score-picker' "
            "is a picker, not an ordering policy\n"
            "r.yaml:15:30: flowControl.usageLimitPolicyPluginRef: no plugin named 'limit'");
}

TEST(ResolveTest, ProfileEntryKinds) {
  EXPECT_EQ(resolveError(R"(plugins:
- type: queue-scorer
- type: low-queue-filter
- {name: handler, type: single-profile-handler}
- type: approx-prefix-cache-producer
- {name: first, type: max-score-picker}
- {name: second, type: random-picker}
schedulingProfiles:
- name: p
  plugins:
  - {pluginRef: handler}
  - {pluginRef: approx-prefix-cache-producer}
  - {pluginRef: low-queue-filter, weight: 2}
  - {pluginRef: queue-scorer, weight: 0}
  - {pluginRef: first, weight: 1}
  - {pluginRef: second}
  - {pluginRef: queue-scorer}
)"),
            "r.yaml:13:17: profile 'p': 'handler' (type single-profile-handler) is a profile "
            "handler, not a filter, scorer or picker\n"
            "r.yaml:14:17: profile 'p': 'approx-prefix-cache-producer' is a request-hooks "
            "plugin, not a filter, scorer or picker\n"
            "r.yaml:15:43: profile 'p': weight given for 'low-queue-filter', which is a filter, "
            "not a scorer\n"
            "r.yaml:17:32: profile 'p': weight given for 'first' (type max-score-picker), which "
            "is a picker, not a scorer\n"
            "r.yaml:18:17: profile 'p': more than one picker ('first' and 'second')\n"
            "r.yaml:19:17: profile 'p': 'queue-scorer' is listed twice");
}

TEST(ResolveTest, ProfileHandlers) {
  std::string twoProfiles =
      "plugins:\n- type: max-score-picker\nschedulingProfiles:\n"
      "- {name: prefill, plugins: []}\n- {name: decode, plugins: []}\n";
  EXPECT_EQ(resolveError(twoProfiles),
            "r.yaml:5:1: missing profile handler: 2 scheduling profiles (prefill, decode) need a "
            "profile-handler plugin such as pd-profile-handler");
  EXPECT_EQ(resolveError("plugins:\n- type: single-profile-handler\n- type: max-score-picker\n"
                         "schedulingProfiles:\n"
                         "- {name: prefill, plugins: []}\n- {name: decode, plugins: []}\n"),
            "r.yaml:4:9: single-profile-handler runs exactly one profile, but 2 are defined");
  EXPECT_EQ(resolveError("plugins:\n- type: single-profile-handler\n"
                         "- {name: pd, type: pd-profile-handler}\n",
                         referenceKinds()),
            "r.yaml:5:10: more than one profile handler: 'single-profile-handler' and 'pd' (type "
            "pd-profile-handler); a config has exactly one");
  auto kinds = builtinKinds();
  kinds.erase("single-profile-handler");
  EXPECT_EQ(resolveError("plugins: [{type: queue-scorer}]\n", kinds),
            "r.yaml:3:1: missing profile handler: single-profile-handler is not provided by any "
            "loaded plugin library");
}

TEST(ResolveTest, InjectionNeedsTheInjectedTypes) {
  auto kinds = builtinKinds();
  kinds.erase("max-score-picker");
  kinds.erase("approx-prefix-cache-producer");
  EXPECT_EQ(resolveError("plugins: [{type: prefix-cache-scorer}]\n"
                         "schedulingProfiles: [{name: p, plugins: [{pluginRef: "
                         "prefix-cache-scorer}]}]\n",
                         kinds),
            "r.yaml:3:18: prefix-cache-scorer needs an approx-prefix-cache-producer, which no "
            "loaded plugin library provides\n"
            "r.yaml:4:29: profile 'p' has no picker, and max-score-picker is not provided by any "
            "loaded plugin library");
}

TEST(ResolveTest, SaturationDetectorMustBeOne) {
  EXPECT_EQ(resolveError("plugins: [{type: queue-scorer}]\n"
                         "saturationDetector: {pluginRef: queue-scorer}\n"),
            "r.yaml:4:33: saturationDetector.pluginRef: 'queue-scorer' is a scorer, not a "
            "saturation detector");
}

}  // namespace
}  // namespace epp::config

// parseConfig: the reference schema and eppd's keys as written, and every syntax, type
// and shape error with its file:line:col.
#include "host/config/picker_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <span>

#include "host/common/sha256.h"
#include "test_kinds.h"

namespace epp::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The example of the reference's EndpointPickerConfig documentation, as a user has it.
constexpr const char* kReferenceExample = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
featureGates: ["flowControl"]
plugins:
- {type: metrics-data-source, parameters: {scheme: http, path: /metrics, insecureSkipVerify: true}}
- type: core-metrics-extractor
  parameters: {defaultEngine: vllm, engineLabelKey: inference.networking.k8s.io/engine-type}
- type: approx-prefix-cache-producer
  parameters: {autoTune: true, blockSizeTokens: 64, maxPrefixBlocksToMatch: 256, lruCapacityPerServer: 31250}
- {type: prefix-cache-scorer}
- {type: queue-scorer}
- {type: kv-cache-utilization-scorer}
- {type: lora-affinity-scorer}
- {name: picker, type: max-score-picker, parameters: {maxNumOfEndpoints: 2}}
- type: utilization-detector
  parameters: {queueDepthThreshold: 5, kvCacheUtilThreshold: 0.8, metricsStalenessThreshold: 200ms, headroom: 0.2}
- {type: round-robin-fairness-policy}
- {type: edf-ordering-policy}
- {type: openai-parser}
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: utilization-detector}      # also a Filter
  - {pluginRef: prefix-cache-scorer, weight: 3}
  - {pluginRef: queue-scorer, weight: 2}
  - {pluginRef: kv-cache-utilization-scorer, weight: 2}
  - {pluginRef: lora-affinity-scorer, weight: 1}
  - {pluginRef: picker}
saturationDetector: {pluginRef: utilization-detector}
dataLayer:
  sources:
  - pluginRef: metrics-data-source
    extractors: [{pluginRef: core-metrics-extractor}]
flowControl:
  maxBytes: 10Gi
  defaultRequestTTL: 60s
  defaultPriorityBand: {maxBytes: 1Gi, maxRequests: 5000}
  priorityBands:
  - {priority: 100, maxRequests: 500, fairnessPolicyRef: round-robin-fairness-policy, orderingPolicyRef: edf-ordering-policy}
  - {priority: -1, maxBytes: 500Mi}
parser: {pluginRef: openai-parser}
)";

// Prefill/decode disaggregation as llm-d configures it.
constexpr const char* kLlmdPdConfig = R"(apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: prefill-filter
- type: decode-filter
- type: prefix-cache-scorer
  parameters:
    blockSizeTokens: 16
    maxPrefixBlocksToMatch: 256
    lruCapacityPerServer: 31250
- type: queue-scorer
- type: max-score-picker
- type: pd-profile-handler
  parameters:
    threshold: 10
schedulingProfiles:
- name: prefill
  plugins:
  - pluginRef: prefill-filter
  - pluginRef: prefix-cache-scorer
    weight: 2
  - pluginRef: queue-scorer
    weight: 1
  - pluginRef: max-score-picker
- name: decode
  plugins:
  - pluginRef: decode-filter
  - pluginRef: prefix-cache-scorer
    weight: 2
  - pluginRef: queue-scorer
    weight: 1
  - pluginRef: max-score-picker
)";

constexpr const char* kHeader =
    "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
    "kind: EndpointPickerConfig\n";

// The error of parsing kHeader followed by `body` as "t.yaml".
std::string parseError(const std::string& body) {
  auto config = parseConfig(kHeader + body, "t.yaml");
  if (config) return "<parsed>";
  return config.error();
}

TEST(PickerConfigParseTest, ReferenceExample) {
  auto config = parseConfig(kReferenceExample, "ref.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->apiVersion, "inference.networking.x-k8s.io/v1alpha1");
  EXPECT_EQ(config->kind, "EndpointPickerConfig");
  EXPECT_THAT(config->featureGates, ElementsAre("flowControl"));
  ASSERT_EQ(config->plugins.size(), 12u);
  EXPECT_EQ(config->plugins[0].name, "metrics-data-source");
  EXPECT_EQ(config->plugins[0].where.str(), "ref.yaml:5:10");
  EXPECT_EQ(config->plugins[0].parameters["path"].Scalar(), "/metrics");
  EXPECT_EQ(config->plugins[7].name, "picker");
  EXPECT_EQ(config->plugins[7].type, "max-score-picker");
  EXPECT_EQ(config->plugins[7].where.str(), "ref.yaml:14:10");
  EXPECT_EQ(config->plugins[7].typeWhere.str(), "ref.yaml:14:24");
  EXPECT_TRUE(config->plugins[4].parameters.IsNull());

  ASSERT_EQ(config->profiles.size(), 1u);
  const ProfileSpec& profile = config->profiles[0];
  EXPECT_EQ(profile.name, "default");
  ASSERT_EQ(profile.plugins.size(), 6u);
  EXPECT_EQ(profile.plugins[0].pluginRef, "utilization-detector");
  EXPECT_FALSE(profile.plugins[0].weight.has_value());
  EXPECT_EQ(profile.plugins[1].weight, 3.0);
  EXPECT_EQ(profile.plugins[1].where.str(), "ref.yaml:24:17");
  EXPECT_EQ(profile.plugins[1].weightWhere.str(), "ref.yaml:24:46");

  EXPECT_EQ(config->saturationDetectorRef, "utilization-detector");
  EXPECT_EQ(config->parserRef, "openai-parser");
  std::vector<std::string> refs;
  for (const auto& ref : config->refs) refs.push_back(ref.field + "=" + ref.pluginRef);
  EXPECT_THAT(refs,
              ElementsAre("saturationDetector.pluginRef=utilization-detector",
                          "dataLayer.sources[0].pluginRef=metrics-data-source",
                          "dataLayer.sources[0].extractors[0].pluginRef=core-metrics-extractor",
                          "flowControl.priorityBands[0].fairnessPolicyRef=round-robin-fairness-"
                          "policy",
                          "flowControl.priorityBands[0].orderingPolicyRef=edf-ordering-policy",
                          "parser.pluginRef=openai-parser"));
  const config::FlowControlSpec& flow = config->flowControl;
  EXPECT_TRUE(flow.present);
  EXPECT_EQ(flow.maxBytes, int64_t{10} << 30);
  EXPECT_EQ(flow.maxRequests, 0);
  EXPECT_EQ(flow.defaultRequestTtlNs, 60'000'000'000);
  EXPECT_EQ(flow.defaultBand.maxBytes, int64_t{1} << 30);
  EXPECT_EQ(flow.defaultBand.maxRequests, 5000);
  EXPECT_FALSE(flow.defaultBand.fairnessPolicyRef);
  ASSERT_EQ(flow.bands.size(), 2u);
  EXPECT_EQ(flow.bands[0].priority, 100);
  EXPECT_EQ(flow.bands[0].maxRequests, 500);
  EXPECT_FALSE(flow.bands[0].maxBytes);
  EXPECT_EQ(flow.bands[0].fairnessPolicyRef, "round-robin-fairness-policy");
  EXPECT_EQ(flow.bands[0].orderingPolicyRef, "edf-ordering-policy");
  EXPECT_EQ(flow.bands[1].priority, -1);
  EXPECT_EQ(flow.bands[1].maxBytes, int64_t{500} << 20);
  EXPECT_FALSE(flow.bands[1].orderingPolicyRef);
  EXPECT_TRUE(config->dataLayer["sources"].IsSequence());

  EXPECT_EQ(config->source, "ref.yaml");
  EXPECT_EQ(config->text, kReferenceExample);
  std::string text = kReferenceExample;
  EXPECT_EQ(config->sha256, common::sha256Hex(std::as_bytes(std::span(text.data(), text.size()))));
  EXPECT_EQ(config->keyLocations.at("flowControl").str(), "ref.yaml:34:1");
  // eppd's keys keep their defaults.
  EXPECT_TRUE(config->endpoints.empty());
  EXPECT_EQ(config->server.extprocPort, 9002);
}

TEST(PickerConfigParseTest, LlmdPrefillDecodeConfig) {
  auto config = parseConfig(kLlmdPdConfig, "pd.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->apiVersion, "llm-d.ai/v1alpha1");
  ASSERT_EQ(config->profiles.size(), 2u);
  EXPECT_EQ(config->profiles[1].name, "decode");
  EXPECT_EQ(config->profiles[1].plugins[0].pluginRef, "decode-filter");
  EXPECT_EQ(config->plugins[5].parameters["threshold"].Scalar(), "10");
}

TEST(PickerConfigParseTest, EppdKeys) {
  auto config = parseConfig(std::string(kHeader) + R"(pluginDirs: [/opt/eppd/plugins, extra]
pluginPins: {queue-scorer: core-scorers}
endpoints:
- {address: 10.0.0.1, port: 8000}
- {address: "::1", port: 8001, name: local6, engine: sglang, pool: gpu-a,
   labels: {llm-d.ai/role: decode, zone: a}}
- {address: 10.0.0.2, port: 8000, role: prefill}
routing: {models: [llama-3, qwen]}
server: {extprocPort: 0, healthPort: 19003, metricsPort: 19090, adminPort: 19091,
         adminAddress: "::1", metricsAddress: 127.0.0.1, decisionHistory: 0}
)",
                            "e.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_THAT(config->pluginDirs, ElementsAre("/opt/eppd/plugins", "extra"));
  EXPECT_EQ(config->pluginPins.at("queue-scorer"), "core-scorers");
  ASSERT_EQ(config->endpoints.size(), 3u);
  const EndpointSpec& first = config->endpoints[0];
  EXPECT_EQ(first.name, "10.0.0.1:8000");
  EXPECT_EQ(first.engine, "vllm");
  EXPECT_EQ(first.pool, "default");
  EXPECT_EQ(first.role, "");
  EXPECT_EQ(first.where.str(), "e.yaml:6:13");
  const EndpointSpec& second = config->endpoints[1];
  EXPECT_EQ(second.address, "::1");
  EXPECT_EQ(second.name, "local6");
  EXPECT_EQ(second.engine, "sglang");
  EXPECT_EQ(second.pool, "gpu-a");
  EXPECT_EQ(second.role, "decode");
  EXPECT_EQ(second.labels.at("zone"), "a");
  const EndpointSpec& third = config->endpoints[2];
  EXPECT_EQ(third.role, "prefill");
  EXPECT_EQ(third.labels.at("llm-d.ai/role"), "prefill");
  ASSERT_EQ(config->routing.models.size(), 2u);
  EXPECT_EQ(config->routing.models[0].name, "llama-3");
  EXPECT_EQ(config->routing.models[1].name, "qwen");
  EXPECT_EQ(config->server.extprocPort, 0);
  EXPECT_EQ(config->server.healthPort, 19003);
  EXPECT_EQ(config->server.adminAddress, "::1");
  EXPECT_EQ(config->server.metricsAddress, "127.0.0.1");
  EXPECT_EQ(config->server.decisionHistory, 0);
}

TEST(PickerConfigParseTest, ScrapingOverHttps) {
  auto config = parseConfig(std::string(kHeader) +
                                "scraping: {scheme: https, insecureSkipVerify: true, caFile: "
                                "/etc/ca.pem}\n",
                            "t.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->scraping.scheme, "https");
  EXPECT_TRUE(config->scraping.insecureSkipVerify);
  EXPECT_EQ(config->scraping.caFile, "/etc/ca.pem");
  auto plain = parseConfig(std::string(kHeader) + "scraping: {}\n", "t.yaml");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(plain->scraping.scheme, "http");
  EXPECT_FALSE(plain->scraping.insecureSkipVerify);
  EXPECT_THAT(parseError("scraping: {scheme: ftp}\n"),
              HasSubstr("t.yaml:3:20: scraping.scheme: 'ftp' is not http or https"));
}

TEST(PickerConfigParseTest, Ipv6EndpointNameHasBrackets) {
  auto config =
      parseConfig(std::string(kHeader) + "endpoints: [{address: 'fd00::5', port: 80}]\n", "e.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->endpoints[0].name, "[fd00::5]:80");
}

TEST(PickerConfigParseTest, NameDefaultsToType) {
  auto config = parseConfig(std::string(kHeader) + "plugins:\n- type: queue-scorer\n", "n.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->plugins[0].name, "queue-scorer");
  EXPECT_EQ(config->plugins[0].where.str(), "n.yaml:4:9");
}

TEST(PickerConfigParseTest, EmptySectionsAreEmpty) {
  auto config = parseConfig(
      std::string(kHeader) + "featureGates:\nplugins:\nschedulingProfiles: []\nendpoints:\n",
      "e.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_TRUE(config->plugins.empty());
  EXPECT_TRUE(config->profiles.empty());
}

TEST(PickerConfigParseTest, UnknownKeyWithSuggestion) {
  EXPECT_EQ(parseError("plugins:\n- type: queue-scorer\n  paramters: {}\n"),
            "t.yaml:5:3: plugins[0]: unknown key 'paramters' (did you mean 'parameters'?)");
  EXPECT_EQ(parseError("schedulingProfile: []\n"),
            "t.yaml:3:1: config: unknown key 'schedulingProfile' (did you mean "
            "'schedulingProfiles'?)");
  // The reference's documentation says `data:`; the field is dataLayer.
  EXPECT_EQ(parseError("data: {}\n"),
            "t.yaml:3:1: config: unknown key 'data' (did you mean 'dataLayer'?)");
}

TEST(PickerConfigParseTest, UnknownKeyWithoutSuggestionListsTheKnownOnes) {
  // Errors come sorted by position: the map's own error first.
  EXPECT_EQ(parseError("saturationDetector: {plugin: x, foo: 1}\n"),
            "t.yaml:3:21: saturationDetector: missing required key 'pluginRef'\n"
            "t.yaml:3:22: saturationDetector: unknown key 'plugin' (did you mean 'pluginRef'?)\n"
            "t.yaml:3:33: saturationDetector: unknown key 'foo'; expected one of: pluginRef");
}

TEST(PickerConfigParseTest, HeaderErrors) {
  auto missing = parseConfig("plugins: []\n", "h.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(),
            "h.yaml:1:1: config: missing required key 'apiVersion'\n"
            "h.yaml:1:1: config: missing required key 'kind'");

  auto wrong = parseConfig("apiVersion: v1\nkind: Pod\n", "h.yaml");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(),
            "h.yaml:1:13: apiVersion: unsupported 'v1'; accepted: "
            "inference.networking.x-k8s.io/v1alpha1, llm-d.ai/v1alpha1\n"
            "h.yaml:2:7: kind: expected 'EndpointPickerConfig', got 'Pod'");

  auto list = parseConfig("- a\n- b\n", "h.yaml");
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error(), "h.yaml:1:1: config: expected a map, got a list");
}

TEST(PickerConfigParseTest, DocumentErrors) {
  auto empty = parseConfig("# nothing\n", "d.yaml");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error(), "d.yaml: the config is empty");

  auto two = parseConfig(std::string(kHeader) + "---\n" + kHeader, "d.yaml");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error(), "d.yaml:4:1: more than one YAML document; a config is exactly one");

  // Found by the config fuzzer (tests/fuzz): yaml-cpp 0.7's LoadAll never returned on a lone
  // ',' (an empty document at the same place, again and again, memory growing).
  auto comma = parseConfig(",", "d.yaml");
  ASSERT_FALSE(comma);
  EXPECT_EQ(comma.error(), "d.yaml:1:1: ',' cannot start a YAML value");
  auto commaAfterEnd = parseConfig(std::string(kHeader) + "...\n,\n", "d.yaml");
  ASSERT_FALSE(commaAfterEnd);
  EXPECT_EQ(commaAfterEnd.error(),
            "d.yaml:4:1: more than one YAML document; a config is exactly one");

  // Found by the config fuzzer: yaml-cpp's reason quotes the character it stopped at as is,
  // here a line break, which split the one-line error.
  auto nul = parseConfig(std::string(kHeader) + std::string("a: b\0\n", 6), "d.yaml");
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error(), "d.yaml:4:1: unknown escape character: \\n");

  auto syntax = parseConfig(std::string(kHeader) + "plugins: [a\n", "d.yaml");
  ASSERT_FALSE(syntax);
  EXPECT_THAT(syntax.error(), StartsWith("d.yaml:4:"));

  auto tab = parseConfig(std::string(kHeader) + "server:\n\textprocPort: 1\n", "d.yaml");
  ASSERT_FALSE(tab);
  EXPECT_THAT(tab.error(), StartsWith("d.yaml:4:"));

  auto big = parseConfig(std::string(kHeader) + "#" + std::string(4 << 20, 'x'), "d.yaml");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error(), "d.yaml: the config is larger than 4 MiB");
}

TEST(PickerConfigParseTest, DuplicateKeys) {
  EXPECT_EQ(parseError("plugins:\n- type: a\n  type: b\n"),
            "t.yaml:5:3: plugins[0]: duplicate key 'type' (first at line 4)");
  EXPECT_EQ(parseError("server: {}\nserver: {}\n"),
            "t.yaml:4:1: config: duplicate key 'server' (first at line 3)");
}

TEST(PickerConfigParseTest, TypeErrors) {
  EXPECT_EQ(parseError("plugins: {type: x}\n"), "t.yaml:3:10: plugins: expected a list, got a map");
  EXPECT_EQ(parseError("plugins:\n- type: [a]\n"),
            "t.yaml:4:9: plugins[0].type: expected a string, got a list");
  EXPECT_EQ(parseError("plugins:\n- type:\n"),
            "t.yaml:4:3: plugins[0].type: expected a string, got null");
  EXPECT_EQ(parseError("plugins:\n- type: ''\n"), "t.yaml:4:9: plugins[0].type: must not be empty");
  EXPECT_EQ(parseError("plugins:\n- {type: x, parameters: [1]}\n"),
            "t.yaml:4:25: plugins[0].parameters: expected a map, got a list");
  EXPECT_EQ(parseError("server: {extprocPort: 90.5}\n"),
            "t.yaml:3:23: server.extprocPort: expected an integer, got '90.5'");
  EXPECT_EQ(parseError("server: {decisionHistory: -1}\n"),
            "t.yaml:3:27: server.decisionHistory: must be between 0 and 100000, got -1");
  EXPECT_EQ(
      parseError("schedulingProfiles:\n- name: p\n  plugins:\n  - {pluginRef: a, weight: "
                 "heavy}\n  - {pluginRef: b, weight: -1}\n  - {pluginRef: c, weight: .inf}\n"),
      "t.yaml:6:28: schedulingProfiles[0].plugins[0].weight: expected a number, got 'heavy'\n"
      "t.yaml:7:28: schedulingProfiles[0].plugins[1].weight: must not be negative, got -1\n"
      "t.yaml:8:28: schedulingProfiles[0].plugins[2].weight: must be a finite number, got "
      "'.inf'");
}

TEST(PickerConfigParseTest, MissingRequiredKeys) {
  EXPECT_EQ(parseError("plugins:\n- name: x\nschedulingProfiles:\n- plugins: []\n"
                       "- name: p\n  plugins: [{weight: 1}]\n"),
            "t.yaml:4:3: plugins[0]: missing required key 'type'\n"
            "t.yaml:6:3: schedulingProfiles[0]: missing required key 'name'\n"
            "t.yaml:8:13: schedulingProfiles[1].plugins[0]: missing required key 'pluginRef'");
}

TEST(PickerConfigParseTest, FeatureGates) {
  EXPECT_EQ(parseError("featureGates: [flowcontrol, dataLayer, experimental]\n"),
            "t.yaml:3:16: featureGates[0]: unknown feature gate 'flowcontrol' (did you mean "
            "'flowControl'?)\n"
            "t.yaml:3:40: featureGates[2]: unknown feature gate 'experimental'; known gates: "
            "flowControl, dataLayer, enableLegacyMetrics");
}

TEST(PickerConfigParseTest, FlowControlShapes) {
  EXPECT_EQ(parseError("flowControl:\n"
                       "  maxBytes: lots\n"
                       "  maxRequests: -5\n"
                       "  defaultRequestTTL: 1 minute\n"
                       "  defaultPriorityBand: {priority: 1, maxBytes: 1Gi}\n"
                       "  priorityBands:\n"
                       "  - {priority: 10, fairnessPolicyRef: [x]}\n"
                       "  - {priority: 10, saturationCeiling: 1.5}\n"
                       "  - {maxBytes: 1Gi}\n"
                       "  usageLimitPolicyPluginRef: ''\n"),
            "t.yaml:4:13: flowControl.maxBytes: expected a byte quantity such as 512, 500Mi, 10Gi "
            "or 1G, got 'lots'\n"
            "t.yaml:5:16: flowControl.maxRequests: must be at least 0, got -5\n"
            "t.yaml:6:22: flowControl.defaultRequestTTL: expected a duration such as 200ms, 1.5s, "
            "2m or 1h30m, got '1 minute'\n"
            "t.yaml:7:25: flowControl.defaultPriorityBand: unknown key 'priority'; expected one "
            "of: maxBytes, maxRequests, saturationCeiling, fairnessPolicyRef, orderingPolicyRef\n"
            "t.yaml:9:39: flowControl.priorityBands[0].fairnessPolicyRef: expected a string, got "
            "a list\n"
            "t.yaml:10:5: flowControl.priorityBands[1]: duplicate priority 10 (first at line 9)\n"
            "t.yaml:10:39: flowControl.priorityBands[1].saturationCeiling: 1.5 is not in (0, 1]: "
            "the band would never dispatch, or dispatch past saturation\n"
            "t.yaml:11:5: flowControl.priorityBands[2]: missing required key 'priority'\n"
            "t.yaml:12:30: flowControl.usageLimitPolicyPluginRef: must not be empty");
}

TEST(PickerConfigParseTest, BandSaturationCeilingIsReadAndDefaultsToUnset) {
  auto config = parseConfig(std::string(kHeader) +
                                "flowControl:\n"
                                "  defaultPriorityBand: {saturationCeiling: 0.75}\n"
                                "  priorityBands:\n"
                                "  - {priority: 100}\n",
                            "t.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->flowControl.defaultBand.saturationCeiling, 0.75);
  ASSERT_EQ(config->flowControl.bands.size(), 1u);
  EXPECT_FALSE(config->flowControl.bands[0].saturationCeiling);
}

TEST(PickerConfigParseTest, DataLayerShapes) {
  EXPECT_EQ(parseError("dataLayer:\n  sources:\n  - pluginRef: m\n    extractors: [{ref: x}]\n"
                       "  - extractors: []\n"),
            "t.yaml:6:18: dataLayer.sources[0].extractors[0]: missing required key 'pluginRef'\n"
            "t.yaml:6:19: dataLayer.sources[0].extractors[0]: unknown key 'ref'; expected one of: "
            "pluginRef\n"
            "t.yaml:7:5: dataLayer.sources[1]: missing required key 'pluginRef'");
}

TEST(PickerConfigParseTest, EndpointErrors) {
  EXPECT_EQ(parseError("endpoints:\n"
                       "- {address: pod-1.svc, port: 8000}\n"
                       "- {address: '[::1]', port: 8000}\n"
                       "- {address: 10.0.0.1, port: 0}\n"
                       "- {address: 10.0.0.1, port: 65536}\n"
                       "- {address: 10.0.0.2, port: 80, role: decode, labels: {llm-d.ai/role: "
                       "prefill}}\n"
                       "- {address: 10.0.0.3, port: 80}\n"
                       "- {address: 10.0.0.3, port: 80}\n"
                       "- {address: 10.0.0.4, port: 80, name: 10.0.0.3:80}\n"
                       "- {port: 80, weight: 2}\n"),
            "t.yaml:4:13: endpoints[0].address: 'pod-1.svc' is not an IPv4 or IPv6 address; host "
            "names are not resolved here\n"
            "t.yaml:5:13: endpoints[1].address: '[::1]' is not an IPv4 or IPv6 address; write "
            "IPv6 addresses without brackets\n"
            "t.yaml:6:29: endpoints[2].port: must be between 1 and 65535, got 0\n"
            "t.yaml:7:29: endpoints[3].port: must be between 1 and 65535, got 65536\n"
            "t.yaml:8:39: endpoints[4].role: role 'decode' contradicts label llm-d.ai/role: "
            "'prefill'\n"
            "t.yaml:10:13: endpoints[6]: endpoint 10.0.0.3:80 is listed twice (first at line 9)\n"
            "t.yaml:11:13: endpoints[7]: endpoint name '10.0.0.3:80' is used twice (first at "
            "line 9)\n"
            "t.yaml:12:3: endpoints[8]: missing required key 'address'\n"
            "t.yaml:12:14: endpoints[8]: unknown key 'weight'; expected one of: address, port, "
            "name, engine, role, pool, labels, scrape");
}

TEST(PickerConfigParseTest, ServerAndRoutingErrors) {
  EXPECT_EQ(parseError("server: {healthPort: 9002, adminAddress: localhost}\n"
                       "routing: {models: [a, a, '']}\n"),
            "t.yaml:3:22: server: extprocPort and healthPort are both 9002\n"
            "t.yaml:3:42: server.adminAddress: 'localhost' is not an IPv4 or IPv6 address; host "
            "names are not resolved here\n"
            "t.yaml:4:23: routing.models[1]: model 'a' is listed twice\n"
            "t.yaml:4:26: routing.models[2]: must not be empty");
}

TEST(PickerConfigParseTest, Objectives) {
  auto config = parseConfig(std::string(kHeader) +
                                "objectives:\n"
                                "- {name: critical, priority: 100}\n"
                                "- {name: batch, priority: -1}\n"
                                "- {name: standard}\n",
                            "t.yaml");
  ASSERT_TRUE(config) << config.error();
  ASSERT_EQ(config->objectives.size(), 3u);
  EXPECT_EQ(config->objectives[0].name, "critical");
  EXPECT_EQ(config->objectives[0].priority, 100);
  EXPECT_EQ(config->objectives[1].priority, -1);
  EXPECT_EQ(config->objectives[1].where.str(), "t.yaml:5:10");
  EXPECT_EQ(config->objectives[2].priority, 0);  // the reference's default
  auto empty = parseConfig(std::string(kHeader) + "objectives:\n", "t.yaml");
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_TRUE(empty->objectives.empty());
}

TEST(PickerConfigParseTest, ObjectiveErrors) {
  EXPECT_EQ(parseError("objectives:\n"
                       "- {name: batch, priority: -1}\n"
                       "- {name: batch, priority: 2}\n"
                       "- {name: '', priority: 1}\n"
                       "- {priority: 1}\n"
                       "- {name: big, priority: 2147483648}\n"
                       "- {name: odd, priority: high}\n"
                       "- {name: typo, priorty: 1}\n"
                       "objectives: []\n"),
            "t.yaml:5:10: objectives[1]: objective 'batch' is listed twice (first at line 4)\n"
            "t.yaml:6:10: objectives[2].name: must not be empty\n"
            "t.yaml:7:3: objectives[3]: missing required key 'name'\n"
            "t.yaml:8:25: objectives[4].priority: must be between -2147483648 and 2147483647, "
            "got 2147483648\n"
            "t.yaml:9:25: objectives[5].priority: expected an integer, got 'high'\n"
            "t.yaml:10:16: objectives[6]: unknown key 'priorty' (did you mean 'priority'?)\n"
            "t.yaml:11:1: config: duplicate key 'objectives' (first at line 3)");
  EXPECT_EQ(parseError("objectives: {batch: -1}\n"),
            "t.yaml:3:13: objectives: expected a list, got a map");
}

TEST(PickerConfigParseTest, CollectsEveryErrorSortedByPosition) {
  std::string error = parseError(
      "server: {adminPort: x}\n"
      "plugins:\n"
      "- {type: a, nmae: b}\n"
      "featureGates: [nope]\n");
  EXPECT_EQ(error,
            "t.yaml:3:21: server.adminPort: expected an integer, got 'x'\n"
            "t.yaml:5:13: plugins[0]: unknown key 'nmae' (did you mean 'name'?)\n"
            "t.yaml:6:16: featureGates[0]: unknown feature gate 'nope'; known gates: "
            "flowControl, dataLayer, enableLegacyMetrics");
}

TEST(PickerConfigParseTest, AliasesAreAllowed) {
  auto config = parseConfig(std::string(kHeader) +
                                "plugins:\n"
                                "- type: low-queue-filter\n"
                                "  parameters: &tuned {threshold: 64}\n"
                                "- {name: other, type: low-queue-filter, parameters: *tuned}\n",
                            "a.yaml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->plugins[1].parameters["threshold"].Scalar(), "64");
}

TEST(PickerConfigParseTest, AliasBombFailsFast) {
  std::string bomb = std::string(kHeader) + "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 12; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    bomb += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 1; j < 8; ++j) bomb += ", " + prev;
    bomb += "]\n";
  }
  auto start = std::chrono::steady_clock::now();
  auto config = parseConfig(bomb, "bomb.yaml");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error(),
              HasSubstr(": the document expands to more than 100000 nodes (through aliases?)"));
  // Expanded, the document has 8^12 nodes (hours); refused at the limit it takes ~10 ms, and
  // 1 s leaves room for a sanitized build on a loaded machine.
  EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST(PickerConfigParseTest, RecursiveAliasIsRefused) {
  auto config = parseConfig(std::string(kHeader) + "plugins: &loop [*loop]\n", "r.yaml");
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error(), HasSubstr("the document nests more than 64 levels deep"));
}

TEST(PickerConfigParseTest, ManyErrorsAreCapped) {
  std::string body = "featureGates:\n";
  for (int i = 0; i < 150; ++i) body += "- gate" + std::to_string(i) + "\n";
  std::string error = parseError(body);
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 100);
  EXPECT_THAT(error, ::testing::EndsWith("\nt.yaml: … and 50 more errors"));
}

TEST(PickerConfigParseTest, DefaultConfig) {
  PickerConfig config = defaultConfig();
  EXPECT_EQ(config.source, "<default>");
  EXPECT_EQ(config.sha256.size(), 64u);
  std::vector<std::string> types;
  for (const auto& plugin : config.plugins) types.push_back(plugin.type);
  EXPECT_THAT(types, ElementsAre("queue-scorer", "kv-cache-utilization-scorer",
                                 "prefix-cache-scorer", "max-score-picker"));
  ASSERT_EQ(config.profiles.size(), 1u);
  EXPECT_EQ(config.profiles[0].name, "default");
  std::vector<std::string> entries;
  for (const auto& entry : config.profiles[0].plugins) {
    entries.push_back(entry.pluginRef +
                      (entry.weight ? "=" + std::to_string(int(*entry.weight)) : ""));
  }
  EXPECT_THAT(entries, ElementsAre("queue-scorer=2", "kv-cache-utilization-scorer=2",
                                   "prefix-cache-scorer=3", "max-score-picker"));
}

class LoadConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "eppd-config-test-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(LoadConfigFileTest, ReadsAndResolvesRelativePluginDirs) {
  std::string path = write("c.yaml", std::string(kHeader) + "pluginDirs: [plugins, /abs]\n");
  auto config = loadConfigFile(path);
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->source, path);
  EXPECT_THAT(config->pluginDirs, ElementsAre((dir_ / "plugins").string(), "/abs"));
}

TEST_F(LoadConfigFileTest, ErrorsNameThePath) {
  std::string missing = (dir_ / "absent.yaml").string();
  auto absent = loadConfigFile(missing);
  ASSERT_FALSE(absent);
  EXPECT_THAT(absent.error(), StartsWith(missing + ": cannot read config file: "));

  auto directory = loadConfigFile(dir_.string());
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error(), dir_.string() + ": cannot read config file: it is a directory");

  std::string big = write("big.yaml", std::string(kHeader) + "#" + std::string(4 << 20, 'x'));
  auto large = loadConfigFile(big);
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error(), big + ": config file is larger than 4 MiB");

  std::string bad = write("bad.yaml", std::string(kHeader) + "plugin: []\n");
  auto parsed = loadConfigFile(bad);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error(), bad + ":3:1: config: unknown key 'plugin' (did you mean 'plugins'?)");
}

}  // namespace
}  // namespace epp::config

namespace epp::config {
namespace {

TEST(PickerConfigParseTest, RateLimits) {
  auto config =
      parseConfig(std::string(kHeader) +
                      "rateLimits:\n"
                      "- name: tenants\n"
                      "  keyHeader: X-Tenant\n"
                      "  tokenBucket: {rate: 2.5}\n"
                      "  overrides: {gold: {slidingWindow: {maxRequests: 100, window: 1m}}}\n"
                      "- {name: all, defaultKey: everyone, keyHeader: x-none,\n"
                      "   slidingWindow: {maxRequests: 10, window: 500ms}, maxKeys: 5}\n",
                  "t.yaml");
  ASSERT_TRUE(config) << config.error();
  ASSERT_EQ(config->rateLimits.size(), 2u);
  const RateLimitSpec& tenants = config->rateLimits[0];
  EXPECT_EQ(tenants.keyHeader, "x-tenant");  // header names arrive lower-case
  EXPECT_EQ(tenants.defaultKey, "default-flow");
  EXPECT_EQ(tenants.rule.algorithm, RateLimitRule::Algorithm::kTokenBucket);
  EXPECT_DOUBLE_EQ(tenants.rule.rate, 2.5);
  EXPECT_DOUBLE_EQ(tenants.rule.burst, 3);  // default: ceil(rate)
  ASSERT_EQ(tenants.overrides.count("gold"), 1u);
  EXPECT_EQ(tenants.overrides.at("gold").maxRequests, 100);
  EXPECT_EQ(tenants.overrides.at("gold").windowNs, int64_t{60'000'000'000});
  const RateLimitSpec& all = config->rateLimits[1];
  EXPECT_EQ(all.rule.algorithm, RateLimitRule::Algorithm::kSlidingWindow);
  EXPECT_EQ(all.rule.windowNs, 500'000'000);
  EXPECT_EQ(all.maxKeys, 5);
  EXPECT_EQ(all.defaultKey, "everyone");
}

TEST(PickerConfigParseTest, RateLimitErrors) {
  std::string error = parseError(
      "rateLimits:\n"
      "- {name: a, tokenBucket: {rate: 0}}\n"
      "- {name: a, tokenBucket: {rate: 1}}\n"
      "- {name: b}\n"
      "- {name: c, tokenBucket: {rate: 1}, slidingWindow: {maxRequests: 1, window: 1s}}\n"
      "- {name: d, slidingWindow: {maxRequests: 0, window: 1us}}\n"
      "- {name: e, tokenBucket: {rate: 1, burst: 0.5}}\n");
  EXPECT_THAT(error, ::testing::HasSubstr("t.yaml:4:33: rateLimits[0].tokenBucket.rate: rate "
                                          "must be > 0"));
  EXPECT_THAT(error, ::testing::HasSubstr("rate limit 'a' is listed twice"));
  EXPECT_THAT(error, ::testing::HasSubstr(
                         "rateLimits[2]: set exactly one of tokenBucket and slidingWindow"));
  EXPECT_THAT(error, ::testing::HasSubstr(
                         "rateLimits[3]: set exactly one of tokenBucket and slidingWindow"));
  EXPECT_THAT(error, ::testing::HasSubstr("rateLimits[4].slidingWindow.maxRequests: must be "
                                          "between 1 and 1000000"));
  EXPECT_THAT(error, ::testing::HasSubstr("window must be at least 1ms"));
  EXPECT_THAT(error, ::testing::HasSubstr("burst must be >= 1"));
}

}  // namespace
}  // namespace epp::config

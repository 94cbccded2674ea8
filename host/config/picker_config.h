// File: host/config/picker_config.h
//
// An EndpointPickerConfig as eppd reads it: the reference schema (apiVersion
// inference.networking.x-k8s.io/v1alpha1 or llm-d.ai/v1alpha1, kind EndpointPickerConfig,
// featureGates, plugins, schedulingProfiles, saturationDetector, dataLayer, flowControl,
// parser) plus eppd's own keys, kept apart (pluginDirs, pluginPins, pluginSha256, endpoints,
// decisionTrees, objectives, routing, server, scraping). Parsing is strict: an unknown key,
// a wrong type, a duplicate name or a dangling reference is an error carrying file:line:col.
//
// Two steps:
//   parseConfig(text, source)      -> PickerConfig as written (syntax, types, shapes)
//   resolveConfig(config, kindsOf) -> defaults and auto-injected plugins added, every
//                                     reference checked against the plugin kinds
//
// Errors come back as one Error whose message holds every problem found, one per line,
// each "file:line:col: what", sorted by position. docs/config.md describes the schema.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/common/result.h"

namespace epp::config {

// "file:line:col" of a YAML node (1-based); "file" alone when unknown.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;
  bool known() const { return line > 0; }
};

struct PluginSpec {
  std::string name;  // defaults to type
  std::string type;
  // A map, or null when absent; ParamTree::fromYaml(parameters, file) reads it. An injected
  // approx-prefix-cache-producer shares the node of the scorer it was copied from.
  YAML::Node parameters;
  Location where;         // the `name` value, or the `type` value when no name is written
  Location typeWhere;     // the `type` value
  bool injected = false;  // added by resolveConfig, not written by the user
  uint32_t kinds = 0;     // EPP_KIND_* bits, filled by resolveConfig
};

struct ProfilePluginRef {
  std::string pluginRef;
  std::optional<double> weight;  // scorers only; default 1; finite and >= 0
  Location where;                // the `pluginRef` value
  Location weightWhere;          // the `weight` value, when given
  bool injected = false;         // the max-score-picker resolveConfig added
};

struct ProfileSpec {
  std::string name;
  std::vector<ProfilePluginRef> plugins;
  Location where;         // the `name` value
  bool injected = false;  // the `default` profile resolveConfig built
};

// A request predicate of a decision-tree node, with one operator:
//   header        present/absent, equals, in, prefix   (an empty value counts as absent)
//   model         equals, in, prefix                   (the target model, after rewrites)
//   lora          present/absent, equals, in, prefix   (the LoRA adapter, absent for a base
//                                                       model)
//   promptLength  gt, ge, lt, le                       (estimated tokens: prompt bytes / 4,
//                                                       rounded down; eppd does not tokenize)
//   priority      equals, gt, ge, lt, le               (the request's integer priority)
struct PredicateSpec {
  enum class Subject { kHeader, kModel, kLora, kPromptLength, kPriority };
  enum class Op { kPresent, kAbsent, kEquals, kIn, kPrefix, kGt, kGe, kLt, kLe };
  Subject subject = Subject::kModel;
  std::string header;  // kHeader: lower-case header name
  Op op = Op::kPresent;
  std::vector<std::string> values;  // text subjects: kEquals (one), kIn (one or more),
                                    // kPrefix (one)
  double number = 0;                // number subjects: kEquals, kGt … kLe
};

// One node: runs a filter (pluginRef of a filter) or evaluates a predicate. onSuccess
// follows a non-empty result (predicate true) with the filtered set (a predicate passes
// its input on); onFailure follows an empty result (predicate false) with the node's
// input set. An empty name ends the tree there: on success the set at hand is the result,
// on failure the result is empty (the profile finds no endpoint).
struct TreeNodeSpec {
  std::string name;
  std::string filter;  // pluginRef, or empty for a predicate node
  std::optional<PredicateSpec> predicate;
  std::string onSuccess;
  std::string onFailure;
  Location where;  // the `name` value
  Location filterWhere;
  Location onSuccessWhere;
  Location onFailureWhere;
};

// Replaces the filter list of one profile by a tree: a profile with a tree may list
// plugins that are scorers or pickers (also when they are filters too, whose filter role
// then does not run), but not plugins that are only filters.
struct DecisionTreeSpec {
  std::string profile;
  std::string root;
  std::vector<TreeNodeSpec> nodes;
  Location where;  // the `profile` value
  Location rootWhere;
};

// A pluginRef outside schedulingProfiles and decisionTrees (saturationDetector, parser,
// dataLayer, flowControl), checked by resolveConfig.
struct PluginRefUse {
  std::string pluginRef;
  std::string field;           // "saturationDetector.pluginRef", "dataLayer.sources[0]…"
  uint32_t requiredKinds = 0;  // EPP_KIND_* bits the plugin must have (any one); 0 = any
  Location where;
};

struct EndpointSpec {
  std::string address;  // IPv4 or IPv6 literal, without brackets
  uint32_t port = 0;
  std::string name;  // defaults to "address:port" ("[v6]:port")
  std::string engine = "vllm";
  // Defaults to label llm-d.ai/role; when only `role` is written, that label is set from
  // it, so filters reading the label see it. Both, different: an error.
  std::string role;
  std::string pool = "default";
  std::map<std::string, std::string> labels;
  // Poll this endpoint's metrics (false: its state comes only from POST /endpoints/state).
  bool scrape = true;
  Location where;
};

// The `kubernetes` endpoint source: the ready Pods (or EndpointSlice endpoints) of a
// namespace matching a label selector, listed and then watched through the API server.
struct KubernetesSourceSpec {
  static constexpr std::string_view kDefaultTokenFile =
      "/var/run/secrets/kubernetes.io/serviceaccount/token";
  static constexpr std::string_view kDefaultCaFile =
      "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  enum class Resource { kPods, kEndpointSlices };

  std::string ns;  // `namespace`
  // The selector as the API server's `labelSelector` query parameter wants it: a map is
  // written "k=v,k2=v2" (sorted by key); a string is kept as written. Empty: every object.
  std::string labelSelector;
  std::vector<uint32_t> targetPorts;  // pods: required, 1..8; endpointslices: optional
  Resource resource = Resource::kPods;
  // Empty: in the cluster, https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT,
  // read when the source starts. Otherwise "http(s)://host[:port]", checked at parse time.
  std::string apiServer;
  bool tls = true;      // apiServer's scheme (in the cluster: https)
  std::string apiHost;  // from apiServer; IPv6 without brackets
  uint32_t apiPort = 0;
  // Read at every (re)connect: tokens rotate. Empty: no Authorization header (the default
  // for an http:// apiServer such as `kubectl proxy`). Absolute after loadConfigFile.
  std::string tokenFile = std::string(kDefaultTokenFile);
  std::string caFile = std::string(kDefaultCaFile);

  bool operator==(const KubernetesSourceSpec&) const = default;
};

// One entry of `endpointSources:`: where endpoints come from besides `endpoints:`.
//   file: a YAML or JSON list of endpoints (the fields of `endpoints:` entries), watched
//         and re-read on change.
//   dns:  the A/AAAA records of `name`, each an endpoint on `port`, re-resolved every
//         `interval`; the endpoint attributes (engine, role, pool, labels, scrape) apply to
//         every address.
//   kubernetes: ready pods matching a selector, one endpoint per pod and target port; the
//         attributes are defaults that each pod's labels complete and override.
struct EndpointSourceSpec {
  enum class Kind { kFile, kDns, kKubernetes };
  Kind kind = Kind::kFile;
  std::string path;  // file: absolute after loadConfigFile
  std::string host;  // dns: the name resolved
  uint32_t port = 0;
  int64_t intervalNs = 5'000'000'000;
  KubernetesSourceSpec kubernetes;
  // dns, kubernetes: attributes of every endpoint (address, port and name unused).
  EndpointSpec attributes;
  Location where;

  // "file:<path>", "dns:<host>:<port>" or "kubernetes:<namespace>/<resource>?<selector>":
  // a source's identity across reloads.
  std::string key() const;
  // The `name` label of the source's metrics: the path, "host:port" or
  // "<namespace>/<selector>".
  std::string metricName() const;
  bool sameAs(const EndpointSourceSpec& other) const;
};

// How eppd polls endpoint metrics (`scraping:`). Where and how (scheme, path, TLS) come
// from the reference's metrics-data-source plugin parameters, and what is read from each
// engine's backend adapter.
struct ScrapingSpec {
  bool enabled = true;
  int64_t intervalNs = 50'000'000;           // the reference's --refresh-metrics-interval
  int64_t timeoutNs = 1'000'000'000;         // per collection (connect, metrics, health)
  int64_t healthIntervalNs = 1'000'000'000;  // 0: no health probes
  int failureThreshold = 3;                  // consecutive failures before unhealthy
  int64_t stalenessNs = 2'000'000'000;       // older metrics are flagged stale
  int64_t maxBodyBytes = 4 << 20;
  // https: TLS to every endpoint; the certificate must chain to caFile (empty: the
  // system's trust store) and name the endpoint's IP, unless insecureSkipVerify.
  std::string scheme = "http";
  bool insecureSkipVerify = false;
  std::string caFile;  // absolute after loadConfigFile
};

// Token ids for requests that carry text (`tokenization:`): eppd asks a model server of the
// request's pool for them (vLLM's POST /tokenize, which applies the model's chat template),
// asynchronously, before admission; plugins that match the engine's own KV blocks
// (precise-prefix-cache-scorer) then see the ids the engine will compute. Off by default.
struct TokenizationSpec {
  bool enabled = false;
  std::string path = "/tokenize";
  int64_t timeoutNs = 200'000'000;   // past it the request goes on without ids
  int64_t maxPromptBytes = 4 << 20;  // longer prompts are not sent (they go on without ids)
};

// TLS on the ext_proc listener (`server.tls`). The three files are re-read every
// refreshInterval: a rotated certificate reaches new connections without a restart.
struct TlsSpec {
  std::string certFile;      // PEM certificate chain, leaf first; absolute after loadConfigFile
  std::string keyFile;       // PEM private key of the leaf
  std::string clientCaFile;  // empty: TLS; set: mTLS, clients must present a certificate
                             // that chains to these CAs
  int64_t refreshIntervalNs = 5'000'000'000;
  bool enabled() const { return !certFile.empty(); }
  bool operator==(const TlsSpec&) const = default;
};

// Ports 0..65535 (0: pick a free port); addresses are IP literals.
struct ServerSpec {
  int extprocPort = 9002;
  int healthPort = 9003;
  int metricsPort = 9090;
  int adminPort = 9091;
  // The admin view can change routing (POST /endpoints/state, /reload) and /metrics names
  // every model and endpoint: neither is exposed beyond the host unless configured.
  std::string adminAddress = "127.0.0.1";
  std::string metricsAddress = "127.0.0.1";
  int decisionHistory = 256;  // decisions kept for /decisions; 0 disables; at most 100000
  // Old config snapshots that in-flight requests may still hold after reloads before eppd
  // warns (they cannot be freed early); 1..1000.
  int maxRetainedSnapshots = 8;
  TlsSpec tls;
  // When set, every admin request needs "Authorization: Bearer <the file's content>"; the
  // file is re-read when it changes. Absolute after loadConfigFile.
  std::string adminTokenFile;
  // Request limits, answered through ImmediateResponse: 413 for a body over
  // maxRequestBodyBytes, 431 for request headers (or trailers) over maxRequestHeaders
  // entries or maxRequestHeaderBytes (names plus values) in all.
  int64_t maxRequestBodyBytes = int64_t{32} << 20;
  int maxRequestHeaders = 200;
  int64_t maxRequestHeaderBytes = int64_t{96} << 10;
};

// An InferenceObjective: requests naming it in header x-gateway-inference-objective get its
// priority. Negative priorities are sheddable. (Objectives come from the config until a
// Kubernetes source reads InferenceObjective resources.)
struct ObjectiveSpec {
  std::string name;
  int32_t priority = 0;
  Location where;  // the `name` value
};

// One priority band of `flowControl` (or its `defaultPriorityBand` template). Unset limits
// and policy refs take the defaults when the flow-control config is built.
struct PriorityBandSpec {
  int32_t priority = 0;                // priorityBands entries only
  std::optional<int64_t> maxBytes;     // default 1 GB (1,000,000,000); 0: unlimited
  std::optional<int64_t> maxRequests;  // default 0: unlimited
  // eppd: this band dispatches only while the pool's saturation is below this (0, 1], so
  // the capacity above it stays free for higher bands. Default 1: up to saturated.
  std::optional<double> saturationCeiling;
  std::optional<std::string> fairnessPolicyRef;  // default: the global-strict instance
  std::optional<std::string> orderingPolicyRef;  // default: the fcfs instance
  Location where;
};

// The reference's `flowControl` block, typed. Read whatever the feature gate says; it
// only takes effect with featureGates: [flowControl].
struct FlowControlSpec {
  bool present = false;             // the block was written
  int64_t maxBytes = 0;             // across all bands; 0: unlimited
  int64_t maxRequests = 0;          // across all bands; 0: unlimited
  int64_t defaultRequestTtlNs = 0;  // 0: a request waits until its client gives up
  PriorityBandSpec defaultBand;     // template of a priority without its own band
  std::vector<PriorityBandSpec> bands;
  std::optional<std::string> usageLimitPolicyRef;
  Location where;  // the `flowControl` key
};

// One `rateLimits:` entry: requests are counted per key (the value of `keyHeader`, the
// fairness id by default) and refused with 429 and retry-after beyond the limit.
struct RateLimitRule {
  enum class Algorithm { kTokenBucket, kSlidingWindow };
  Algorithm algorithm = Algorithm::kTokenBucket;
  double rate = 0;          // token bucket: tokens added per second
  double burst = 0;         // token bucket: bucket size
  int64_t maxRequests = 0;  // sliding window: requests allowed per window
  int64_t windowNs = 0;     // sliding window: its length
};

struct RateLimitSpec {
  std::string name;
  std::string keyHeader = "x-gateway-inference-fairness-id";
  std::string defaultKey = "default-flow";  // the key of requests without the header
  RateLimitRule rule;
  std::map<std::string, RateLimitRule> overrides;  // key value -> its own rule
  int64_t maxKeys = 10'000;  // keys tracked at once; the least recently seen is dropped
  Location where;            // the `name` value
};

// One served model of `routing.models`: its name, other names it answers to, and, for a
// LoRA adapter, the base model it runs on.
struct ModelSpec {
  std::string name;
  std::vector<std::string> aliases;
  // The model is a LoRA adapter: before routing, eppd checks that some endpoint holds it
  // or has a free adapter slot. Set by `lora: true` or implied by `baseModel`.
  bool lora = false;
  std::string baseModel;  // empty: none
  // An adapter no endpoint can take: route to baseModel (true, default) or answer 503.
  std::optional<bool> loraFallback;
  Location where;  // the name
  Location baseModelWhere;
};

// One weighted target of a routing rule (InferenceModelRewrite's targets[]).
struct RouteTargetSpec {
  std::string model;
  double weight = 1;
  Location where;  // the model value
};

// A routing rule: requests for `model` (and carrying every header of `headers`) are
// rewritten to one of `targets`, which the traffic splitter plugin `splitter` chooses.
struct RoutingRuleSpec {
  std::string name;   // defaults to the model; the model_rewrite_name metric label
  std::string model;  // the requested model name the rule matches
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case name, exact value
  std::string splitter;  // pluginRef of a traffic splitter; empty only with one target
  std::vector<RouteTargetSpec> targets;
  // For targets that are LoRA adapters not declared in `models`: their base model and
  // whether to fall back to it (as in ModelSpec).
  std::string baseModel;
  std::optional<bool> loraFallback;
  Location where;  // the rule's name, or its model when unnamed
  Location modelWhere;
  Location splitterWhere;
  Location baseModelWhere;
};

struct RoutingSpec {
  // Models served; when non-empty, a request for any other model (that no rule matches)
  // gets 404.
  std::vector<ModelSpec> models;
  // Match model names, aliases and rule models regardless of ASCII case.
  bool caseInsensitive = false;
  // Set x-gateway-model-name (the model routed as) and, for a LoRA adapter with a known
  // base model, x-gateway-base-model-name on the upstream request, so a gateway can route
  // on them without a body-based router.
  bool modelNameHeader = false;
  std::vector<RoutingRuleSpec> rules;
  Location where;  // the `routing` key
};

struct PickerConfig {
  std::string apiVersion;
  std::string kind;
  std::vector<std::string> featureGates;
  std::vector<PluginSpec> plugins;
  std::vector<ProfileSpec> profiles;
  std::optional<std::string> saturationDetectorRef;
  std::optional<std::string> parserRef;
  // Validated for shape and types now, used by a later layer.
  YAML::Node dataLayer;
  FlowControlSpec flowControl;
  // Every pluginRef of saturationDetector, parser, dataLayer and flowControl.
  std::vector<PluginRefUse> refs;
  // eppd's own keys.
  // loadConfigFile makes relative paths absolute against the file's directory;
  // parseConfig keeps them as written.
  std::vector<std::string> pluginDirs;
  std::map<std::string, std::string> pluginPins;  // type -> library name or file
  // Plugin file name (any plugin directory) or absolute path -> the lower-case hex SHA-256
  // it must have; another content is refused before it is loaded.
  std::map<std::string, std::string> pluginSha256;
  std::vector<EndpointSpec> endpoints;
  std::vector<EndpointSourceSpec> endpointSources;
  std::vector<DecisionTreeSpec> decisionTrees;
  std::vector<ObjectiveSpec> objectives;
  RoutingSpec routing;
  std::vector<RateLimitSpec> rateLimits;
  ServerSpec server;
  ScrapingSpec scraping;
  TokenizationSpec tokenization;
  // Where it came from: the path (or "<default>", "<text>"), the text, its SHA-256.
  std::string source;
  std::string text;
  std::string sha256;
  // Where each top-level key was written (for errors about a whole section).
  std::map<std::string, Location> keyLocations;
};

// Syntax, types and shapes; every error found, one per line, each with file:line:col.
// Also rejected here: texts over 4 MiB, several documents, alias expansion past 100,000
// nodes or nesting past 64 levels, unknown feature gates.
common::Result<PickerConfig> parseConfig(const std::string& text, const std::string& source);
// An endpoint list file of the `file` endpoint source: a YAML (or JSON) list whose items
// are read like `endpoints:` entries; every error with file:line:col.
common::Result<std::vector<EndpointSpec>> parseEndpointList(const std::string& text,
                                                            const std::string& file);

// Reads and parses a file (source = the path); files over 4 MiB are refused. Relative
// paths in it are made absolute against the file's directory (makePathsAbsolute).
common::Result<PickerConfig> loadConfigFile(const std::string& path);
// Every relative file or directory path of `config` (pluginDirs, scraping.caFile, endpoint
// source files, server.tls files, server.adminTokenFile) made absolute against `base`.
void makePathsAbsolute(PickerConfig& config, const std::filesystem::path& base);
// The configuration used without a file: the reference default profile (queue-scorer 2,
// kv-cache-utilization-scorer 2, prefix-cache-scorer 3, max-score-picker).
PickerConfig defaultConfig();

// EPP_KIND_* bits of a plugin type, or nullopt when no loaded library provides it.
using KindLookup = std::function<std::optional<uint32_t>(const std::string& type)>;

// Adds defaults and auto-injected plugins as the reference does (single-profile-handler
// with one profile, max-score-picker for a profile without picker, a `default` profile
// with every filter/scorer/picker when none is given, approx-prefix-cache-producer when a
// prefix-cache-scorer has none, and openai-parser, utilization-detector,
// fcfs-ordering-policy, global-strict-fairness-policy, static-usage-limit-policy when
// kindsOf knows them) and checks every reference: unknown plugin type, dangling pluginRef,
// duplicate names, a profile entry that is not a filter/scorer/picker, more than one
// picker per profile, a weight on a non-scorer, zero or several profile handlers, tree
// nodes naming non-filters or unknown nodes, cycles, unreachable nodes. Fills
// PluginSpec::kinds. `typeNames` (optional: every type the loaded libraries provide)
// feeds the "did you mean" of an unknown type. Calling it again on its result changes
// nothing. On error the config is half-resolved: discard it.
common::Status resolveConfig(PickerConfig& config, const KindLookup& kindsOf,
                             const std::vector<std::string>& typeNames = {});

}  // namespace epp::config

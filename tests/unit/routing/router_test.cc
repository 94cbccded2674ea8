// Router::route over real configs and the real splitter plugins: which model a request is
// served as, which rule and target, 404s, LoRA placement and fallback.
#include "host/routing/router.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "host/runtime/config_snapshot.h"

namespace epp::routing {
namespace {

constexpr char kHeader[] = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: max-score-picker
- type: weighted-splitter
- {name: canary, type: canary-splitter, parameters: {header: x-canary, percentage: 0}}
- {name: broken, type: canary-splitter, parameters: {canary: not-a-target}}
)";

// An endpoint as the data layer would describe it: adapters loaded and waiting, slots.
struct FakeEndpoint {
  std::vector<std::string> active;
  std::vector<std::string> waiting;
  int64_t maxLoras = 0;
  bool metrics = true;

  std::vector<epp_str> activeViews, waitingViews;
  epp_endpoint_view view{};
  void fill() {
    for (auto& a : active) activeViews.push_back({a.data(), a.size()});
    for (auto& w : waiting) waitingViews.push_back({w.data(), w.size()});
    view.struct_size = sizeof view;
    view.flags = metrics ? 0 : EPP_ENDPOINT_FLAG_NO_METRICS;
    view.active_loras = activeViews.data();
    view.active_loras_count = activeViews.size();
    view.waiting_loras = waitingViews.data();
    view.waiting_loras_count = waitingViews.size();
    view.max_loras = maxLoras;
  }
};

class RouterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new loader::PluginRegistry(
        {.cache_dir = std::filesystem::temp_directory_path() / "eppd-router-test-cache",
         .host_abi = {}});
    ASSERT_TRUE(registry_->scan({EPP_BUILTIN_PLUGIN_DIR}));
  }

  void load(const std::string& routing) {
    auto parsed = config::parseConfig(std::string(kHeader) + routing, "r.yaml");
    ASSERT_TRUE(parsed) << parsed.error();
    auto resolved = config::resolveConfig(*parsed, runtime::kindLookup(*registry_));
    ASSERT_TRUE(resolved) << resolved.error();
    auto snap = runtime::buildSnapshot(std::move(*parsed), *registry_, 1);
    ASSERT_TRUE(snap) << snap.error();
    snapshot_ = *snap;
  }

  Route route(const std::string& model, HeaderList headers = {}, uint64_t seed = 1) {
    views_.clear();
    for (auto& e : endpoints_) {
      e.fill();
      views_.push_back(&e.view);
    }
    headers_ = std::move(headers);
    seedFn_ = [seed] { return seed; };
    RouteRequest r{.requestId = "r1",
                   .path = "/v1/completions",
                   .model = model,
                   .headers = &headers_,
                   .candidates = views_,
                   .seed = &seedFn_};
    return snapshot_->router->route(r);
  }
  // "target [rule/splitter] lora=..." or "<status> <code>".
  std::string outcome(const Route& r) {
    if (!r.ok()) return std::to_string(r.httpStatus) + " " + r.errorCode;
    std::string out = r.targetModel;
    if (!r.record.rule.empty()) out += " [" + r.record.rule + "/" + r.record.splitter + "]";
    if (!r.loraAdapter.empty()) out += " lora=" + r.loraAdapter;
    if (!r.record.loraFallback.empty()) out += " fallback=" + r.record.loraFallback;
    return out;
  }

  static inline loader::PluginRegistry* registry_ = nullptr;
  runtime::ConfigSnapshotPtr snapshot_;
  std::vector<FakeEndpoint> endpoints_{FakeEndpoint{.maxLoras = 2}};
  std::vector<const epp_endpoint_view*> views_;
  HeaderList headers_;
  std::function<uint64_t()> seedFn_;
};

constexpr char kModels[] = R"(
routing:
  models:
  - {name: llama2-7b-v2, aliases: [llama]}
  - llama2-7b-v10
  - qwen
  rules:
  - name: beta-testers
    model: qwen
    headers: {x-tenant: beta}
    targets: [{model: llama2-7b-v2}]
  - name: llama-split
    model: llama2-7b
    splitter: weighted-splitter
    targets: [{model: llama2-7b-v2, weight: 1}, {model: llama2-7b-v10, weight: 3}]
)";

TEST_F(RouterTest, ResolutionAndRules) {
  load(kModels);
  EXPECT_EQ(outcome(route("qwen")), "qwen");
  EXPECT_EQ(outcome(route("llama")), "llama2-7b-v2");  // alias
  EXPECT_EQ(outcome(route("QWEN")), "404 NotFound");   // case matters by default
  EXPECT_EQ(outcome(route("mistral")), "404 NotFound");
  EXPECT_EQ(outcome(route("qwen", {{"x-tenant", "beta"}})), "llama2-7b-v2 [beta-testers/]");
  EXPECT_EQ(outcome(route("qwen", {{"x-tenant", "acme"}})), "qwen");
  Route r = route("llama2-7b");
  EXPECT_EQ(r.record.rule, "llama-split");
  EXPECT_EQ(r.record.splitter, "weighted-splitter");
  EXPECT_EQ(r.record.requestedModel, "llama2-7b");
  EXPECT_TRUE(r.record.resolvedModel.empty()) << "the rule matched the requested name itself";
  EXPECT_TRUE(r.record.bodyRewritten);
  // The rewrite header replaces the body's model as the requested name.
  r = route("anything", {{std::string(kRewriteHeader), "llama"}});
  EXPECT_EQ(outcome(r), "llama2-7b-v2");
  EXPECT_TRUE(r.record.fromRewriteHeader);
  EXPECT_EQ(r.record.resolvedBy, "alias");
  EXPECT_TRUE(r.record.bodyRewritten);
  EXPECT_FALSE(route("qwen").record.bodyRewritten);
}

TEST_F(RouterTest, WeightedSplitFollowsTheWeights) {
  load(kModels);
  std::map<std::string, int> count;
  for (uint64_t seed = 0; seed < 4000; ++seed) ++count[route("llama2-7b", {}, seed).targetModel];
  EXPECT_NEAR(count["llama2-7b-v10"] / 4000.0, 0.75, 0.03);
  EXPECT_EQ(count["llama2-7b-v2"] + count["llama2-7b-v10"], 4000);
}

TEST_F(RouterTest, RulesMatchTheResolvedNameToo) {
  load(R"(
routing:
  caseInsensitive: true
  models: [{name: m-v1, aliases: [stable]}, m-v2]
  rules:
  - {name: to-v2, model: M-V1, headers: {x-canary: '1'}, targets: [{model: m-v2}]}
)");
  EXPECT_EQ(outcome(route("stable", {{"x-canary", "1"}})), "m-v2 [to-v2/]");
  EXPECT_EQ(outcome(route("m-v1", {{"x-canary", "1"}})), "m-v2 [to-v2/]");
  EXPECT_EQ(outcome(route("STABLE")), "m-v1");
  EXPECT_EQ(outcome(route("m")), "m-v2");  // newest version
}

TEST_F(RouterTest, WithoutAModelListEveryNameIsServed) {
  load(R"(
routing:
  rules:
  - {model: virtual, splitter: canary, targets: [{model: a}, {model: b}]}
)");
  EXPECT_EQ(outcome(route("whatever")), "whatever");
  EXPECT_EQ(outcome(route("virtual")), "a [virtual/canary]");
  EXPECT_EQ(outcome(route("virtual", {{"x-canary", "yes"}})), "b [virtual/canary]");
}

TEST_F(RouterTest, AMisbehavingSplitterFallsBackToTheHeaviestTarget) {
  load(R"(
routing:
  rules:
  - {model: v, splitter: broken, targets: [{model: a, weight: 1}, {model: b, weight: 5}]}
)");
  Route r = route("v");
  EXPECT_EQ(r.targetModel, "b");
  EXPECT_NE(r.splitter, nullptr);
  EXPECT_NE(r.splitterFault.find("status 1"), std::string::npos) << r.splitterFault;
}

constexpr char kLora[] = R"(
routing:
  models:
  - base
  - {name: sql-lora, baseModel: base}
  - {name: strict-lora, baseModel: base, loraFallback: false}
  - {name: bare-lora, lora: true}
  rules:
  - {model: tenant-x, targets: [{model: sql-lora}]}
)";

TEST_F(RouterTest, LoraAdapterIsServedWhereItIsOrWhereASlotIsFree) {
  load(kLora);
  endpoints_ = {FakeEndpoint{.active = {"a", "b"}, .maxLoras = 2},
                FakeEndpoint{.active = {"sql-lora"}, .maxLoras = 1}};
  EXPECT_EQ(outcome(route("sql-lora")), "sql-lora lora=sql-lora");
  endpoints_ = {FakeEndpoint{.active = {"a"}, .waiting = {"sql-lora"}, .maxLoras = 1}};
  EXPECT_EQ(outcome(route("sql-lora")), "sql-lora lora=sql-lora");
  endpoints_ = {FakeEndpoint{.active = {"a"}, .maxLoras = 2}};
  EXPECT_EQ(outcome(route("sql-lora")), "sql-lora lora=sql-lora");
  EXPECT_EQ(outcome(route("base")), "base");
}

TEST_F(RouterTest, LoraAdapterNowhereFallsBackToItsBaseOr503) {
  load(kLora);
  endpoints_ = {FakeEndpoint{.active = {"a", "b"}, .maxLoras = 2},
                FakeEndpoint{.active = {"c"}, .waiting = {"d"}, .maxLoras = 2},
                FakeEndpoint{.maxLoras = 0}};
  Route r = route("sql-lora");
  EXPECT_EQ(outcome(r), "base fallback=base-model");
  EXPECT_TRUE(r.record.bodyRewritten);
  EXPECT_EQ(outcome(route("tenant-x")), "base [tenant-x/] fallback=base-model");
  r = route("strict-lora");
  EXPECT_EQ(outcome(r), "503 ServiceUnavailable");
  EXPECT_NE(r.errorMessage.find("loraFallback is off"), std::string::npos) << r.errorMessage;
  EXPECT_EQ(r.record.loraFallback, "rejected");
  EXPECT_EQ(outcome(route("bare-lora")), "503 ServiceUnavailable");
}

TEST_F(RouterTest, UnknownAdapterStateIsNotEvidence) {
  load(kLora);
  endpoints_ = {FakeEndpoint{.active = {"a", "b"}, .maxLoras = 2}, FakeEndpoint{.metrics = false}};
  EXPECT_EQ(outcome(route("sql-lora")), "sql-lora lora=sql-lora");
  endpoints_.clear();  // no candidates: the request fails later, for that reason
  EXPECT_EQ(outcome(route("strict-lora")), "strict-lora lora=strict-lora");
}

TEST_F(RouterTest, RuleLevelBaseModelMakesTargetsAdapters) {
  load(R"(
routing:
  rules:
  - {model: x, targets: [{model: x-lora}], baseModel: x-base}
  - {model: y, targets: [{model: y-lora}], loraFallback: false}
)");
  endpoints_ = {FakeEndpoint{.active = {"a"}, .maxLoras = 1}};
  EXPECT_EQ(outcome(route("x")), "x-base [x/] fallback=base-model");
  EXPECT_EQ(outcome(route("y")), "503 ServiceUnavailable");
  endpoints_ = {FakeEndpoint{.maxLoras = 1}};
  EXPECT_EQ(outcome(route("x")), "x-lora [x/] lora=x-lora");
}

TEST_F(RouterTest, CanaryExampleRoutesAsItsCommentsSay) {
  auto parsed = config::loadConfigFile(std::string(EPP_CONFIGS_DIR) + "/canary.yaml");
  ASSERT_TRUE(parsed) << parsed.error();
  ASSERT_TRUE(config::resolveConfig(*parsed, runtime::kindLookup(*registry_)));
  auto snap = runtime::buildSnapshot(std::move(*parsed), *registry_, 1);
  ASSERT_TRUE(snap) << snap.error();
  snapshot_ = *snap;
  std::map<std::string, int> count;
  for (uint64_t seed = 0; seed < 2000; ++seed) ++count[route("llama3-8b", {}, seed).targetModel];
  EXPECT_NEAR(count["llama3-8b-v2"] / 2000.0, 0.05, 0.02);
  EXPECT_EQ(outcome(route("llama3-8b", {{"x-canary", "true"}})),
            "llama3-8b-v2 [llama3-rollout/llama3-canary]");
  EXPECT_EQ(outcome(route("llama3-8b-instruct-next")), "llama3-8b-v2");
  Route chat = route("llama3-chat", {{"x-user-id", "alice"}});
  for (uint64_t seed = 0; seed < 20; ++seed) {
    EXPECT_EQ(route("llama3-chat", {{"x-user-id", "alice"}}, seed).targetModel, chat.targetModel);
  }
  endpoints_ = {FakeEndpoint{.active = {"other"}, .maxLoras = 1}};
  EXPECT_EQ(outcome(route("sql-lora")), "llama3-8b-v1 fallback=base-model");
  EXPECT_EQ(outcome(route("gpt-4")), "404 NotFound");
}

}  // namespace
}  // namespace epp::routing

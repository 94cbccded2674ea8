// One full decision of the default profile (the reference default: queue-scorer 2,
// kv-cache-utilization-scorer 2, prefix-cache-scorer 3, max-score-picker, with the built-in
// plugin libraries loaded by the real loader): parse the body, hash the prefix, score every
// endpoint, pick, update the prefix index — Pipeline::decide, the request path without the
// transport. At 8 / 64 / 256 endpoints and 4 KB / 32 KB / 220 KB prompts; the baseline in
// the same run is parsing the same body alone (simdjson, what any EPP must do).
// BM_Decision keeps eppd's default decision history (server.decisionHistory 256: every
// decision traced for /decisions); BM_DecisionUntraced has it off (decisionHistory 0).
//   build/tests/bench/decision_bench
#include <benchmark/benchmark.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "host/config/picker_config.h"
#include "host/request/openai_request.h"
#include "host/runtime/config_snapshot.h"
#include "host/runtime/decision_log.h"
#include "host/runtime/pipeline.h"

namespace epp::runtime {
namespace {

std::string body(size_t bytes, int variant) {
  std::string text;
  for (size_t i = 0; text.size() < bytes; ++i) text += "token" + std::to_string(i % 9973) + " ";
  text.resize(bytes - 16);
  text += " question " + std::to_string(variant);
  return nlohmann::json{{"model", "m"}, {"messages", {{{"role", "user"}, {"content", text}}}}}
      .dump();
}

struct World {
  loader::PluginRegistry registry{
      {.cache_dir = std::filesystem::temp_directory_path() / "eppd-decision-bench-cache",
       .host_abi = {}}};
  ConfigSnapshotPtr snapshot;
  World() {
    if (!registry.scan({EPP_BUILTIN_PLUGIN_DIR})) std::abort();
    config::PickerConfig parsed = config::defaultConfig();
    if (!config::resolveConfig(parsed, kindLookup(registry))) std::abort();
    auto snap = buildSnapshot(std::move(parsed), registry, 1);
    if (!snap) std::abort();
    snapshot = *snap;
  }
};

World& world() {
  static World w;
  return w;
}

void decision(benchmark::State& state, size_t history) {
  const int endpoints = static_cast<int>(state.range(0));
  const size_t bytes = static_cast<size_t>(state.range(1));
  World& w = world();
  datalayer::EndpointStore store;
  std::vector<datalayer::EndpointState> states;
  std::mt19937 rng(7);
  for (int i = 0; i < endpoints; ++i) {
    datalayer::EndpointState s;
    s.address = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    s.port = 8000;
    s.hasMetrics = true;
    s.waiting = static_cast<int64_t>(rng() % 8);
    s.kvCacheUsage = static_cast<double>(rng() % 100) / 100.0;
    s.metricsUpdatedNs = INT64_MAX / 2;  // never stale during the run
    states.push_back(s);
  }
  store.replace(states);
  DecisionLog log(history);
  Pipeline pipeline([&] { return w.snapshot; }, store, log);
  // 16 conversations sharing nothing: the index holds each after its first request.
  std::vector<std::shared_ptr<extproc::RequestInput>> inputs;
  for (int v = 0; v < 16; ++v) {
    auto in = std::make_shared<extproc::RequestInput>();
    in->requestId = "bench-" + std::to_string(v);
    in->headers = {{":path", "/v1/chat/completions"}, {":method", "POST"}};
    in->body = body(bytes, v);
    inputs.push_back(in);
  }
  size_t i = 0;
  for (auto _ : state) {
    extproc::RoutingDecision d = pipeline.decide(inputs[i++ % inputs.size()]);
    if (d.httpStatus != 0) {
      state.SkipWithError(d.errorMessage.c_str());
      return;
    }
    if (d.observer) d.observer->onComplete(true);
    benchmark::DoNotOptimize(d);
  }
}

void BM_Decision(benchmark::State& state) { decision(state, 256); }
void BM_DecisionUntraced(benchmark::State& state) { decision(state, 0); }

void BM_ParseOnly(benchmark::State& state) {
  const std::string b = body(static_cast<size_t>(state.range(1)), 0);
  for (auto _ : state) {
    auto parsed = request::parseOpenAiRequest(b, request::ApiType::kChatCompletions);
    benchmark::DoNotOptimize(parsed);
  }
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int64_t endpoints : {8, 64, 256}) {
    for (int64_t bytes : {4 << 10, 32 << 10, 220 << 10}) b->Args({endpoints, bytes});
  }
}
BENCHMARK(BM_ParseOnly)
    ->Args({0, 4 << 10})
    ->Args({0, 32 << 10})
    ->Args({0, 220 << 10})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Decision)->Apply(sizes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecisionUntraced)->Apply(sizes)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace epp::runtime

BENCHMARK_MAIN();

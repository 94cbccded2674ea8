// Config snapshot build and swap for a 20-plugin config (tests/bench/configs/twenty-plugins.yaml),
// with the built-in plugin libraries and the real loader:
//   BM_Reload  what a hot reload costs end to end, one reload per iteration: loadConfiguration
//              (parse, scan the plugin directory, resolve, build, carrying over unchanged
//              instances of the live snapshot) then LiveConfig::publish. The config alternates
//              between two texts whose weights differ, so every reload builds a new snapshot.
//              Each reload is timed alone; p50 / p99 / max in the counters (ms).
//   BM_Publish the swap itself while two threads read the current snapshot as requests do;
//              counters: publish p99 and the readers' p50 / p99 for current() (µs).
// Baseline in the same run: BM_ParseOnly, the YAML parse alone.
//   build/tests/bench/snapshot_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "host/config/picker_config.h"
#include "host/runtime/config_loader.h"
#include "host/runtime/live_config.h"

namespace epp::runtime {
namespace {

using Clock = std::chrono::steady_clock;

std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// The config with its prefix-cache weight changed: a new snapshot whose other instances
// are unchanged.
std::string variant(const std::string& text, int weight) {
  std::string out = text;
  const std::string from = "{pluginRef: prefix-cache-scorer, weight: 3}";
  out.replace(out.find(from), from.size(),
              "{pluginRef: prefix-cache-scorer, weight: " + std::to_string(weight) + "}");
  return out;
}

LoadOptions options() {
  LoadOptions o;
  o.configPath = EPP_BENCH_CONFIG;
  o.pluginDirs = {EPP_BUILTIN_PLUGIN_DIR};
  o.pluginCache = std::filesystem::temp_directory_path() / "eppd-snapshot-bench-cache";
  return o;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

void BM_Reload(benchmark::State& state) {
  const LoadOptions o = options();
  const std::string text = readText(EPP_BENCH_CONFIG);
  auto first = loadConfiguration(o, 1);
  if (!first) {
    state.SkipWithError("the benchmark config does not load");
    return;
  }
  LiveConfig live(first->snapshot, first->registry);
  std::vector<double> ms;
  uint64_t generation = 1;
  for (auto _ : state) {
    LoadInputs in;
    ConfigSnapshotPtr current = live.current();
    in.previous = current.get();
    in.configText = variant(text, generation % 2 == 0 ? 3 : 4);
    const auto start = Clock::now();
    auto loaded = loadConfiguration(o, ++generation, in);
    if (!loaded) {
      state.SkipWithError("reload failed");
      return;
    }
    live.publish(loaded->snapshot, loaded->registry);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  state.counters["plugins"] = static_cast<double>(live.current()->config.plugins.size());
  state.counters["p50_ms"] = percentile(ms, 0.50);
  state.counters["p99_ms"] = percentile(ms, 0.99);
  state.counters["max_ms"] = *std::max_element(ms.begin(), ms.end());
}

void BM_Publish(benchmark::State& state) {
  const LoadOptions o = options();
  auto a = loadConfiguration(o, 1);
  LoadInputs in;
  in.configText = variant(readText(EPP_BENCH_CONFIG), 4);
  auto b = loadConfiguration(o, 2, in);
  if (!a || !b) {
    state.SkipWithError("the benchmark config does not load");
    return;
  }
  LiveConfig live(a->snapshot, a->registry);
  std::atomic<bool> stop{false};
  // Each reader keeps its own samples: a shared one would measure the sharing.
  std::vector<double> readUs[2];
  auto reader = [&](std::vector<double>& samples) {
    samples.reserve(1 << 20);
    while (!stop.load(std::memory_order_relaxed) && samples.size() < samples.capacity()) {
      const auto start = Clock::now();
      ConfigSnapshotPtr s = live.current();
      benchmark::DoNotOptimize(s);
      samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
  };
  std::thread r1(reader, std::ref(readUs[0]));
  std::thread r2(reader, std::ref(readUs[1]));
  std::vector<double> publishUs;
  bool flip = false;
  for (auto _ : state) {
    const auto& next = flip ? *a : *b;
    const auto start = Clock::now();
    live.publish(next.snapshot, next.registry);
    publishUs.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    flip = !flip;
  }
  stop = true;
  r1.join();
  r2.join();
  readUs[0].insert(readUs[0].end(), readUs[1].begin(), readUs[1].end());
  state.counters["publish_p99_us"] = percentile(publishUs, 0.99);
  state.counters["read_p50_us"] = percentile(readUs[0], 0.50);
  state.counters["read_p99_us"] = percentile(readUs[0], 0.99);
}

void BM_ParseOnly(benchmark::State& state) {
  const std::string text = readText(EPP_BENCH_CONFIG);
  for (auto _ : state) {
    auto parsed = config::parseConfig(text, EPP_BENCH_CONFIG);
    benchmark::DoNotOptimize(parsed);
  }
}

BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Reload)->Unit(benchmark::kMillisecond)->Iterations(200);
BENCHMARK(BM_Publish)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace epp::runtime

BENCHMARK_MAIN();

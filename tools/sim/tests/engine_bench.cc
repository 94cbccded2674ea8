// Replay-scale cost of the engine: the 73-capacity workload shape (150 groups × 5 users,
// 6000-token shared system prompt, 1200-token question, 1000 output tokens) as 750
// Poisson arrivals, over 1 or 8 engines with round-robin placement, driven as a
// discrete-event loop. Not part of ctest: `build/tools/sim/tests/sim_engine_bench`.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "tools/sim/engine/engine.h"
#include "tools/sim/tests/engine_test_support.h"

namespace epp::sim {
namespace {

struct Workload {
  std::vector<std::string> prompts;
  std::vector<Micros> arrivals;
};

const Workload& workload() {
  static const Workload w = [] {
    Workload out;
    std::mt19937_64 rng(7);
    std::vector<std::string> system;
    for (int g = 0; g < 150; ++g) system.push_back(testing::text(24'000, g));
    for (int u = 0; u < 5; ++u) {
      for (int g = 0; g < 150; ++g) {
        out.prompts.push_back(system[static_cast<size_t>(g)] +
                              testing::text(4'800, 1000 + g * 5 + u));
      }
    }
    std::shuffle(out.prompts.begin(), out.prompts.end(), rng);
    std::exponential_distribution<double> gap(15.0);  // 15 QPS
    double t = 0;
    for (size_t i = 0; i < out.prompts.size(); ++i) {
      t += gap(rng);
      out.arrivals.push_back(static_cast<Micros>(t * 1e6));
    }
    return out;
  }();
  return w;
}

void BM_Replay750(benchmark::State& state) {
  const Workload& w = workload();
  const size_t servers = static_cast<size_t>(state.range(0));
  uint64_t tokens = 0;
  for (auto _ : state) {
    std::vector<Engine> engines;
    for (size_t s = 0; s < servers; ++s) engines.emplace_back(EngineOptions{});
    EventSink sink;
    for (size_t i = 0; i < w.prompts.size(); ++i) {
      Engine& e = engines[i % servers];
      if (w.arrivals[i] > e.now()) e.advanceTo(w.arrivals[i], sink);
      SimRequest r;
      r.id = i;
      r.model = "m";
      r.prompt = w.prompts[i];
      r.maxOutputTokens = 1000;
      if (!e.submit(r, w.arrivals[i]).accepted()) state.SkipWithError("rejected");
    }
    for (Engine& e : engines) {
      while (auto t = e.nextEventTime()) e.advanceTo(*t, sink);
      tokens += e.metrics().generationTokens;
    }
  }
  state.counters["tokens/iter"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_Replay750)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace epp::sim

BENCHMARK_MAIN();

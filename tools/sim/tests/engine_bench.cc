// Replay-scale cost of the engine: the 73-capacity workload shape (150 groups × 5 users,
// 6000-token shared system prompt, 1200-token question, 1000 output tokens) as 750
// Poisson arrivals, over 1 or 8 engines with round-robin placement, driven as a
// discrete-event loop. Not part of ctest: `build/tools/sim/tests/sim_engine_bench`.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tools/sim/engine/engine.h"
#include "tools/sim/tests/engine_test_support.h"

namespace epp::sim {
namespace {

struct Workload {
  std::vector<std::string> prompts;
  std::vector<int> groups;  // the shared system prompt of each request
  std::vector<Micros> arrivals;
};

const Workload& workload() {
  static const Workload w = [] {
    Workload out;
    std::mt19937_64 rng(7);
    std::vector<std::string> system;
    for (int g = 0; g < 150; ++g) system.push_back(testing::text(24'000, g));
    std::vector<std::pair<int, int>> order;  // (group, user)
    for (int u = 0; u < 5; ++u) {
      for (int g = 0; g < 150; ++g) order.emplace_back(g, u);
    }
    std::shuffle(order.begin(), order.end(), rng);
    for (auto [g, u] : order) {
      out.prompts.push_back(system[static_cast<size_t>(g)] +
                            testing::text(4'800, 1000 + g * 5 + u));
      out.groups.push_back(g);
    }
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

// What placement does to the modelled service on 8 servers: round-robin (0) against
// sending each prefix group to one server (1). Reports TTFT p90 and output tokens per
// second of virtual time, the two numbers the scheduling-quality targets are about.
class TtftSink : public EventSink {
 public:
  void onFinished(uint64_t, Micros at, const FinishInfo& info) override {
    ttfts.push_back(info.ttft());
    last = std::max(last, at);
    tokens += static_cast<uint64_t>(info.outputTokens);
  }
  std::vector<Micros> ttfts;
  Micros last = 0;
  uint64_t tokens = 0;
};

void BM_Placement(benchmark::State& state) {
  const Workload& w = workload();
  const bool affinity = state.range(0) == 1;
  double p90 = 0, tokPerSec = 0;
  for (auto _ : state) {
    std::vector<Engine> engines;
    for (int s = 0; s < 8; ++s) engines.emplace_back(EngineOptions{});
    TtftSink sink;
    for (size_t i = 0; i < w.prompts.size(); ++i) {
      Engine& e = engines[affinity ? static_cast<size_t>(w.groups[i]) % 8 : i % 8];
      if (w.arrivals[i] > e.now()) e.advanceTo(w.arrivals[i], sink);
      SimRequest r;
      r.id = i;
      r.model = "m";
      r.prompt = w.prompts[i];
      r.maxOutputTokens = 1000;
      e.submit(r, w.arrivals[i]);
    }
    for (Engine& e : engines) {
      while (auto t = e.nextEventTime()) e.advanceTo(*t, sink);
    }
    std::sort(sink.ttfts.begin(), sink.ttfts.end());
    p90 = static_cast<double>(sink.ttfts[sink.ttfts.size() * 9 / 10]) / 1e6;
    tokPerSec = static_cast<double>(sink.tokens) / (static_cast<double>(sink.last) / 1e6);
  }
  state.counters["ttft_p90_s"] = p90;
  state.counters["out_tok_per_s"] = tokPerSec;
}
BENCHMARK(BM_Placement)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace epp::sim

BENCHMARK_MAIN();

// What `tokenization:` costs a request: one /tokenize round trip through eppd's
// TokenizeClient to an eppd-sim server (started here), for chat prompts of 8 KB, 64 KB and
// 220 KB, against the same round trip with a one-token prompt measured in the same run.
//   build/tests/bench/tokenize_bench
// eppd-sim tokenizes by XXH32 per 4 bytes, far cheaper than a real tokenizer: this is the
// transport and JSON cost eppd adds, a lower bound on a vLLM server's answer time.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "host/runtime/tokenize_client.h"
#include "tests/integration/sim_process.h"

namespace epp::runtime {
namespace {

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<testing::SimProcess> sim;
  TokenizeClient client{1};
  Fixture() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tokenize-bench-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
    sim = std::make_unique<testing::SimProcess>(dir, 1);
  }
  ~Fixture() {
    sim.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::string messagesOf(size_t bytes) {
  std::string text;
  for (size_t i = 0; text.size() < bytes; ++i) text += "token" + std::to_string(i % 9973) + " ";
  text.resize(bytes);
  return nlohmann::json::array({{{"role", "user"}, {"content", text}}}).dump();
}

void BM_Tokenize(benchmark::State& state) {
  Fixture& f = fixture();
  if (f.sim->ports().empty()) {
    state.SkipWithError("eppd-sim did not start");
    return;
  }
  TokenizeCall call;
  call.host = "127.0.0.1";
  call.port = static_cast<uint16_t>(f.sim->ports()[0]);
  call.body = tokenizeBody("sim-model", messagesOf(static_cast<size_t>(state.range(0))), true);
  call.timeoutNs = 5'000'000'000;
  size_t ids = 0;
  for (auto _ : state) {
    std::promise<TokenizeResult> done;
    f.client.tokenize(call, [&](TokenizeResult r) { done.set_value(std::move(r)); });
    TokenizeResult r = done.get_future().get();
    if (!r.ok()) {
      state.SkipWithError(r.error.c_str());
      return;
    }
    ids = r.ids.size();
  }
  state.counters["tokens"] = static_cast<double>(ids);
}
// 1 byte: the round trip itself (the baseline); then the three prompt sizes.
BENCHMARK(BM_Tokenize)
    ->Arg(1)
    ->Arg(8 << 10)
    ->Arg(64 << 10)
    ->Arg(220 << 10)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace epp::runtime

BENCHMARK_MAIN();

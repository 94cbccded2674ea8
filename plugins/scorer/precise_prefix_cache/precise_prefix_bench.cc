// Per-request cost of precise prefix matching, against the approximate hasher measured in
// the same run (not a test; see README.md "Cost"):
//   build/plugins/scorer/precise_prefix_cache/precise_prefix_bench
// For a prompt of N bytes: Approximate = the host's chained prefix hashes of 64-character
// blocks (what approx-prefix-cache-producer asks for); Precise = tokenize (chars) + block
// keys + longest-prefix lookup in an index holding the prompt on 8 endpoints among 200k
// other blocks; PreciseIds = the same from token ids the request carried.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/scheduling/prefix_hasher.h"
#include "plugins/common/chars_tokenizer.h"
#include "plugins/scorer/precise_prefix_cache/precise_index.h"

namespace epp::plugins {
namespace {

constexpr int32_t kBlock = 16;

std::string promptOf(size_t bytes) {
  std::string s;
  s.reserve(bytes);
  for (size_t i = 0; s.size() < bytes; ++i) s += "token" + std::to_string(i % 9973) + " ";
  s.resize(bytes);
  return s;
}

// An index with the prompt's blocks on 8 endpoints and 200k unrelated blocks.
PreciseIndex& indexFor(const std::string& prompt) {
  static std::unordered_map<size_t, std::unique_ptr<PreciseIndex>> cache;
  auto& slot = cache[prompt.size()];
  if (slot) return *slot;
  slot = std::make_unique<PreciseIndex>(
      PreciseIndex::Options{.maxKeys = 1'000'000, .maxEndpointsPerKey = 10, .blockSize = kBlock});
  std::vector<uint32_t> tokens;
  charsTokenize(prompt, 4, tokens);
  tokens.resize(tokens.size() / kBlock * kBlock);
  std::vector<uint64_t> hashes(tokens.size() / kBlock);
  for (uint64_t e = 1; e <= 8; ++e) {
    for (size_t i = 0; i < hashes.size(); ++i) hashes[i] = e << 40 | i;
    slot->blockStored(e, rootBlockKey("", "m"), std::nullopt, hashes, tokens, kBlock,
                      EPP_KV_MEDIUM_GPU);
  }
  std::vector<uint32_t> other(kBlock);
  for (uint32_t b = 0; b < 200'000; ++b) {
    for (int i = 0; i < kBlock; ++i)
      other[static_cast<size_t>(i)] = b * 31 + static_cast<uint32_t>(i);
    uint64_t h = (uint64_t{9} << 40) | b;
    slot->blockStored(9, rootBlockKey("", "m"), std::nullopt, std::span(&h, 1), other, kBlock,
                      EPP_KV_MEDIUM_GPU);
  }
  return *slot;
}

void Approximate(benchmark::State& state) {
  std::string prompt = promptOf(static_cast<size_t>(state.range(0)));
  std::vector<uint64_t> out;
  for (auto _ : state) {
    out.clear();
    scheduling::hashPrefixBlocks("m", prompt, kBlock, 1u << 20, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void Precise(benchmark::State& state) {
  std::string prompt = promptOf(static_cast<size_t>(state.range(0)));
  PreciseIndex& index = indexFor(prompt);
  const uint64_t root = rootBlockKey("", "m");
  std::vector<uint32_t> tokens;
  std::vector<uint64_t> keys;
  std::unordered_map<uint64_t, double> runs;
  for (auto _ : state) {
    tokens.clear();
    keys.clear();
    runs.clear();
    charsTokenize(prompt, 4, tokens);
    blockKeys(root, tokens, kBlock, 1u << 20, keys);
    index.longestPrefix(keys, runs);
    benchmark::DoNotOptimize(runs.size());
  }
  state.counters["matched"] = runs.count(1) ? runs[1] : 0;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void PreciseIds(benchmark::State& state) {
  std::string prompt = promptOf(static_cast<size_t>(state.range(0)));
  PreciseIndex& index = indexFor(prompt);
  const uint64_t root = rootBlockKey("", "m");
  std::vector<uint32_t> tokens;
  charsTokenize(prompt, 4, tokens);
  std::vector<uint64_t> keys;
  std::unordered_map<uint64_t, double> runs;
  for (auto _ : state) {
    keys.clear();
    runs.clear();
    blockKeys(root, tokens, kBlock, 1u << 20, keys);
    index.longestPrefix(keys, runs);
    benchmark::DoNotOptimize(runs.size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(Approximate)->Arg(8 << 10)->Arg(64 << 10)->Arg(220 << 10)->Unit(benchmark::kMicrosecond);
BENCHMARK(Precise)->Arg(8 << 10)->Arg(64 << 10)->Arg(220 << 10)->Unit(benchmark::kMicrosecond);
BENCHMARK(PreciseIds)->Arg(8 << 10)->Arg(64 << 10)->Arg(220 << 10)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace epp::plugins

BENCHMARK_MAIN();

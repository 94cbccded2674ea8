// The prefix-cache path's two data costs, at the reference defaults (16-token blocks of 64
// characters, 256 blocks matched at most, 31,250 blocks per server):
//   BM_PrefixHash/<bytes>     chained xxh64 block hashes of a prompt (bytes/s); the baseline
//                             is BM_Memcpy of the same prompt in the same run.
//   BM_IndexMatch/<endpoints> one request's 256 blocks against every endpoint of a full index
//                             of 256 servers × 31,250 entries (8 M entries).
//   BM_IndexInsert            one request's 256 blocks into a full server (evicting as many).
//   BM_IndexMemory            builds the full index once; counters: bytes_per_entry (the
//                             index's own arrays / entries) and rss_bytes_per_entry, rss_mib
//                             (the process's VmRSS growth while building).
//   build/tests/bench/prefix_bench
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "host/scheduling/prefix_hasher.h"
#include "plugins/scorer/prefix_cache/prefix_index.h"

namespace epp {
namespace {

constexpr uint32_t kBlockTokens = 16;
constexpr uint32_t kMaxBlocks = 256;
constexpr size_t kServers = 256;
constexpr size_t kCapacity = 31'250;

std::string prompt(size_t bytes) {
  std::string text;
  std::mt19937 rng(1);
  while (text.size() < bytes) text += "word" + std::to_string(rng() % 50'000) + " ";
  text.resize(bytes);
  return text;
}

int64_t rssBytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      int64_t kb = 0;
      status >> kb;
      return kb * 1024;
    }
    status.ignore(4096, '\n');
  }
  return 0;
}

// Server s holds 31,250 blocks: 122 conversations of 256 blocks (the last one partly), the
// first 64 blocks of each shared with the server before it (the same system prompts reach
// several servers), so block hashes have one or two holders.
struct FullIndex {
  plugins::PrefixIndex index;
  std::vector<uint64_t> ids;
  FullIndex() {
    std::vector<uint64_t> blocks(kMaxBlocks);
    for (size_t s = 0; s < kServers; ++s) ids.push_back(1000 + s);
    for (size_t s = 0; s < kServers; ++s) {
      for (size_t conv = 0; conv * kMaxBlocks < kCapacity; ++conv) {
        for (size_t b = 0; b < kMaxBlocks; ++b) {
          const uint64_t shared = b < 64 ? (s / 2) : s;
          blocks[b] = (shared << 40) ^ (conv << 20) ^ b ^ 0x9e3779b97f4a7c15ull;
        }
        index.insert(ids[s], blocks, kCapacity);
      }
    }
  }
};

FullIndex& fullIndex() {
  static FullIndex full;
  return full;
}

void BM_Memcpy(benchmark::State& state) {
  const std::string text = prompt(static_cast<size_t>(state.range(0)));
  std::string copy(text.size(), '\0');
  for (auto _ : state) {
    std::memcpy(copy.data(), text.data(), text.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_PrefixHash(benchmark::State& state) {
  const std::string text = prompt(static_cast<size_t>(state.range(0)));
  std::vector<uint64_t> out;
  // Every block of the prompt, not only the first 256: the hashing rate itself.
  const uint32_t blocks = static_cast<uint32_t>(text.size() / (kBlockTokens * 4) + 1);
  for (auto _ : state) {
    out.clear();
    scheduling::hashPrefixBlocks("meta-llama/Llama-3.1-8B-Instruct", text, kBlockTokens, blocks,
                                 out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_IndexMemory(benchmark::State& state) {
  for (auto _ : state) {
    const int64_t before = rssBytes();
    auto* full = new FullIndex;  // kept: the other benchmarks use the same shape
    const int64_t after = rssBytes();
    const auto entries = static_cast<double>(full->index.size());
    state.counters["entries"] = entries;
    state.counters["bytes_per_entry"] = static_cast<double>(full->index.memoryBytes()) / entries;
    state.counters["rss_bytes_per_entry"] = static_cast<double>(after - before) / entries;
    state.counters["rss_mib"] = static_cast<double>(after - before) / (1 << 20);
    delete full;
  }
}

void BM_IndexMatch(benchmark::State& state) {
  FullIndex& full = fullIndex();
  const size_t endpoints = static_cast<size_t>(state.range(0));
  std::vector<uint64_t> ids(full.ids.begin(), full.ids.begin() + static_cast<long>(endpoints));
  std::vector<size_t> matched(endpoints);
  // Conversation 7 of server 10: its first 64 blocks are also on server 11.
  std::vector<uint64_t> request(kMaxBlocks);
  for (size_t b = 0; b < kMaxBlocks; ++b) {
    const uint64_t shared = b < 64 ? 5 : 10;
    request[b] = (shared << 40) ^ (7ull << 20) ^ b ^ 0x9e3779b97f4a7c15ull;
  }
  for (auto _ : state) {
    full.index.match(request, ids, matched);
    benchmark::DoNotOptimize(matched.data());
  }
  if (endpoints > 11 && (matched[10] != kMaxBlocks || matched[11] != 64)) {
    state.SkipWithError("unexpected match");
  }
}

void BM_IndexInsert(benchmark::State& state) {
  FullIndex& full = fullIndex();
  std::vector<uint64_t> request(kMaxBlocks);
  uint64_t n = 0;
  for (auto _ : state) {
    for (size_t b = 0; b < kMaxBlocks; ++b) request[b] = (0xfffull << 48) ^ (n << 16) ^ b;
    ++n;
    full.index.insert(full.ids[n % kServers], request, kCapacity);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kMaxBlocks);
}

BENCHMARK(BM_Memcpy)->Arg(4 << 10)->Arg(32 << 10)->Arg(220 << 10);
BENCHMARK(BM_PrefixHash)->Arg(4 << 10)->Arg(32 << 10)->Arg(220 << 10);
BENCHMARK(BM_IndexMemory)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IndexMatch)->Arg(8)->Arg(64)->Arg(256)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IndexInsert)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace epp

BENCHMARK_MAIN();

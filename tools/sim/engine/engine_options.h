// File: tools/sim/engine/engine_options.h
//
// The knobs of one simulated model server. Defaults give the shape of a ~30B model on one
// H100-class node (the 73-capacity benchmark's pod: 19,208 KV blocks of 16 tokens): a
// 7,200-token prompt prefills in about 0.73 s uncached, a decode step costs 20 ms plus
// 0.05 ms per sequence in the batch. They are a shape, not a calibration: every run that
// reports numbers states its options.
#pragma once

#include <cstdint>
#include <string>

namespace epp::sim {

// Virtual time in microseconds. The engine never reads a clock: callers pass time in.
using Micros = int64_t;

struct EngineOptions {
  // Scheduler limits (vLLM: --max-num-seqs, --max-num-batched-tokens, --max-model-len).
  int32_t maxNumSeqs = 256;
  int32_t maxNumBatchedTokens = 8192;  // token budget of one step (chunked prefill)
  int32_t maxModelLen = 32768;         // prompt + output tokens of one request
  int32_t maxWaiting = 0;              // waiting-queue limit; 0 = unbounded (as vLLM)

  // KV cache: numBlocks blocks of blockSize tokens, with an LRU prefix cache.
  int32_t numBlocks = 19208;
  int32_t blockSize = 16;
  int32_t charsPerToken = 4;  // prompt tokens ≈ characters / charsPerToken

  // LoRA: adapters resident at once (0 disables LoRA) and the cost of loading one.
  int32_t maxLoras = 1;
  Micros loraLoadUs = 50'000;

  // Cost of one step (one forward pass):
  //   decodeBaseUs + decodePerSeqUs × sequences in the step
  //   + (prefillOverheadUs + prefillPerTokenUs × uncached prompt tokens computed, if any)
  //   + loraLoadUs × adapters loaded for the step
  // so the inter-token latency grows with the batch and a prefix-cache hit saves
  // prefillPerTokenUs per cached token.
  Micros decodeBaseUs = 20'000;
  double decodePerSeqUs = 50.0;
  Micros prefillOverheadUs = 5'000;
  double prefillPerTokenUs = 100.0;

  // Each step's cost is multiplied by (1 + jitter × N(0,1)), clamped to [0.3, 1.7];
  // 0 = exact costs. The noise comes from `seed` only.
  double jitter = 0.0;
  uint64_t seed = 1;

  // Empty when the options are usable, else the first problem ("maxNumSeqs must be ≥ 1").
  std::string validate() const;
};

}  // namespace epp::sim

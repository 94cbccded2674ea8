#include "tools/sim/engine_flags.h"

#include <cmath>

namespace epp::sim {
namespace {

double toMs(Micros us) { return static_cast<double>(us) / 1000; }
Micros toUs(double ms) { return static_cast<Micros>(std::llround(ms * 1000)); }

}  // namespace

EngineFlags::EngineFlags(const EngineOptions& defaults)
    : options_(defaults),
      loraLoadMs_(toMs(defaults.loraLoadUs)),
      decodeBaseMs_(toMs(defaults.decodeBaseUs)),
      decodePerSeqMs_(defaults.decodePerSeqUs / 1000),
      prefillOverheadMs_(toMs(defaults.prefillOverheadUs)),
      prefillPerTokenMs_(defaults.prefillPerTokenUs / 1000) {}

void EngineFlags::add(CLI::App& app) {
  EngineOptions& e = options_;
  app.add_option("--max-num-seqs", e.maxNumSeqs, "Requests running at once")->capture_default_str();
  app.add_option("--max-num-batched-tokens", e.maxNumBatchedTokens, "Token budget of a step")
      ->capture_default_str();
  app.add_option("--max-model-len", e.maxModelLen, "Prompt + output tokens of one request")
      ->capture_default_str();
  app.add_option("--max-waiting", e.maxWaiting, "Waiting-queue limit (429 beyond; 0 = none)")
      ->capture_default_str();
  app.add_option("--num-gpu-blocks", e.numBlocks, "KV cache blocks")->capture_default_str();
  app.add_option("--block-size", e.blockSize, "Tokens per KV block")->capture_default_str();
  app.add_option("--max-loras", e.maxLoras, "LoRA adapters resident at once (0: no LoRA)")
      ->capture_default_str();
  app.add_option("--lora-load-ms", loraLoadMs_, "Time to load an adapter")->capture_default_str();
  app.add_option("--decode-base-ms", decodeBaseMs_, "Step cost: base")->capture_default_str();
  app.add_option("--decode-per-seq-ms", decodePerSeqMs_, "Step cost: per running sequence")
      ->capture_default_str();
  app.add_option("--prefill-overhead-ms", prefillOverheadMs_,
                 "Step cost: fixed, when the step prefills")
      ->capture_default_str();
  app.add_option("--prefill-per-token-ms", prefillPerTokenMs_,
                 "Step cost: per uncached prompt token")
      ->capture_default_str();
  app.add_option("--jitter", e.jitter, "Step cost std-dev as a fraction (0: exact)")
      ->capture_default_str();
}

EngineOptions EngineFlags::options() const {
  EngineOptions e = options_;
  e.loraLoadUs = toUs(loraLoadMs_);
  e.decodeBaseUs = toUs(decodeBaseMs_);
  e.decodePerSeqUs = decodePerSeqMs_ * 1000;
  e.prefillOverheadUs = toUs(prefillOverheadMs_);
  e.prefillPerTokenUs = prefillPerTokenMs_ * 1000;
  return e;
}

}  // namespace epp::sim

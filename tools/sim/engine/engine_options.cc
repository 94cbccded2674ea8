#include "tools/sim/engine/engine_options.h"

namespace epp::sim {

std::string EngineOptions::validate() const {
  if (maxNumSeqs < 1) return "maxNumSeqs must be ≥ 1";
  if (maxNumBatchedTokens < 1) return "maxNumBatchedTokens must be ≥ 1";
  if (maxModelLen < 2) return "maxModelLen must be ≥ 2";
  if (maxWaiting < 0) return "maxWaiting must be ≥ 0 (0 = unbounded)";
  if (numBlocks < 1) return "numBlocks must be ≥ 1";
  if (blockSize < 1) return "blockSize must be ≥ 1";
  if (charsPerToken < 1) return "charsPerToken must be ≥ 1";
  if (maxLoras < 0) return "maxLoras must be ≥ 0";
  if (loraLoadUs < 0 || decodeBaseUs < 0 || prefillOverheadUs < 0) {
    return "latencies must be ≥ 0";
  }
  if (decodePerSeqUs < 0 || prefillPerTokenUs < 0) return "per-unit costs must be ≥ 0";
  if (decodeBaseUs + decodePerSeqUs <= 0) return "a step must cost time: decodeBaseUs > 0";
  if (!(jitter >= 0 && jitter <= 1)) return "jitter must be in [0, 1]";
  return {};
}

}  // namespace epp::sim

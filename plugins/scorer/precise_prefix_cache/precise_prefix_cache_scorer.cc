// File: plugins/scorer/precise_prefix_cache/precise_prefix_cache_scorer.cc
#include "plugins/scorer/precise_prefix_cache/precise_prefix_cache_scorer.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "plugins/common/chars_tokenizer.h"
#include "plugins/scorer/prefix_cache/prefix_cache_config.h"

namespace epp::plugins {
namespace {

constexpr int64_t kDefaultBlockSize = 16;   // vLLM's default block size
constexpr int64_t kDefaultPort = 5557;      // vLLM's default publisher endpoint tcp://*:5557
constexpr int64_t kDefaultMaxBlocks = 256;  // as the approximate index
constexpr int64_t kDefaultIndexSize = 1'000'000;
constexpr int64_t kDefaultPodCacheSize = 10;

// "tcp://*:5557" -> 5557; 0 when there is no port.
int64_t portOf(const std::string& endpoint) {
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon + 1 >= endpoint.size()) return 0;
  int64_t port = 0;
  for (size_t i = colon + 1; i < endpoint.size(); ++i) {
    if (endpoint[i] < '0' || endpoint[i] > '9') return 0;
    port = port * 10 + (endpoint[i] - '0');
    if (port > 65535) return 0;
  }
  return port;
}

// The request's block keys, from score() to preRequest() (speculative indexing).
struct ScoredKeys {
  std::vector<uint64_t> keys;
};

struct IndexConfig {
  int64_t size = kDefaultIndexSize;
  int64_t podCacheSize = kDefaultPodCacheSize;
  bool speculative = false;  // indexerConfig.speculativeIndexing, where some configs put it
};

// indexerConfig as the reference writes it; only the in-memory index exists here.
IndexConfig parseIndexerConfig(const cpp::Params& params, const cpp::Plugin& self) {
  IndexConfig out;
  const cpp::Params* indexer = params.getMap("indexerConfig");
  if (indexer == nullptr) return out;
  if (indexer->getNode("tokenizersPoolConfig")) {
    self.log(cpp::LogLevel::kInfo,
             "indexerConfig.tokenizersPoolConfig is accepted and not used: eppd loads no "
             "tokenizer models; see the `tokenizer` parameter");
  }
  out.speculative = indexer->getBool("speculativeIndexing", false);
  indexer->getNode("prefixStoreConfig");
  indexer->getNode("kvCacheBackendConfigs");
  if (const cpp::Params* kv = indexer->getMap("kvBlockIndexConfig")) {
    kv->getBool("enableMetrics", true);
    kv->getNode("metricsLoggingInterval");
    for (const char* backend : {"redisConfig", "valkeyConfig", "costAwareMemoryConfig"}) {
      if (kv->getNode(backend)) {
        self.log(cpp::LogLevel::kWarn,
                 std::string("indexerConfig.kvBlockIndexConfig.") + backend +
                     " is not supported: eppd keeps the index in memory (each replica "
                     "subscribes to every endpoint, so replicas agree without a shared store)");
      }
    }
    if (const cpp::Params* mem = kv->getMap("inMemoryConfig")) {
      out.size = mem->getInt("size", kDefaultIndexSize, 1, int64_t{1} << 32);
      out.podCacheSize = mem->getInt("podCacheSize", kDefaultPodCacheSize, 1, 1024);
    }
  }
  return out;
}

}  // namespace

PrecisePrefixCacheScorer::PrecisePrefixCacheScorer(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      blockSize_(static_cast<int32_t>(kDefaultBlockSize)),
      maxBlocks_(static_cast<size_t>(
          ctx.params().getInt("maxPrefixBlocksToMatch", kDefaultMaxBlocks, 1, 1 << 20))),
      tokenizer_(Tokenizer::kRequest),
      charsPerToken_(4),
      fallback_(Fallback::kApproximate),
      index_([&] {
        const cpp::Params& p = ctx.params();
        if (const cpp::Params* tp = p.getMap("tokenProcessorConfig")) {
          // blockSizeTokens is the newer spelling of blockSize.
          int64_t size = tp->getInt("blockSizeTokens", kDefaultBlockSize, 1, 4096);
          blockSize_ = static_cast<int32_t>(tp->getInt("blockSize", size, 1, 4096));
          hashSeed_ = tp->getString("hashSeed", "");
        }
        IndexConfig ic = parseIndexerConfig(p, *this);
        speculative_ = ic.speculative;
        return PreciseIndex::Options{static_cast<size_t>(ic.size),
                                     static_cast<size_t>(ic.podCacheSize), blockSize_};
      }()) {
  const cpp::Params& p = ctx.params();

  // Where the endpoints publish. eppd always connects to every endpoint (the reference's
  // discoverPods layout); a bind address names the port.
  int64_t port = kDefaultPort;
  std::string topicFilter = "kv@";
  if (const cpp::Params* ev = p.getMap("kvEventsConfig")) {
    std::string endpoint = ev->getString("zmqEndpoint", "");
    if (!endpoint.empty()) {
      port = portOf(endpoint);
      if (port == 0) {
        throw cpp::Error(ev->location("zmqEndpoint") + ": zmqEndpoint '" + endpoint +
                         "' has no port (expected tcp://*:5557)");
      }
    }
    topicFilter = ev->getString("topicFilter", topicFilter);
    ev->getInt("concurrency", 4, 1, 1024);  // one thread serves every endpoint here
    ev->getBool("discoverPods", true);
    ev->getNode("engineType");
    ev->getNode("snapshotPort");
    if (const cpp::Params* discovery = ev->getMap("podDiscoveryConfig")) {
      port = discovery->getInt("socketPort", port, 1, 65535);
      discovery->getNode("podLabelSelector");
      discovery->getNode("podNamespace");
    }
  }
  ctx.subscribeKvEvents(static_cast<int>(port), topicFilter);

  // Speculative indexing, where the reference puts it: top level or in indexerConfig.
  speculative_ = p.getBool("speculativeIndexing", speculative_);
  if (p.has("speculativeTTL")) {
    speculativeTtlNs_ = p.getDurationNs("speculativeTTL", speculativeTtlNs_);
    if (speculativeTtlNs_ <= 0) {
      throw cpp::Error(p.location("speculativeTTL") + ": speculativeTTL must be positive");
    }
  }
  if (p.getNode("fullReportRepair")) {
    log(cpp::LogLevel::kInfo, "fullReportRepair is accepted and not used");
  }

  // How a request's token ids are found.
  if (const cpp::Params* t = p.getMap("tokenizer")) {
    std::string type = t->getString("type", "request");
    if (type == "chars") {
      tokenizer_ = Tokenizer::kChars;
      charsPerToken_ = static_cast<int32_t>(t->getInt("charsPerToken", 4, 1, 64));
    } else if (type != "request") {
      throw cpp::Error(t->location("type") + ": tokenizer type '" + type +
                       "' is not one of request, chars");
    }
  }
  std::string fallback = p.getString("fallback", "approximate");
  if (fallback == "none") {
    fallback_ = Fallback::kNone;
  } else if (fallback != "approximate") {
    throw cpp::Error(p.location("fallback") + ": fallback '" + fallback +
                     "' is not one of approximate, none");
  }
  if (tokenizer_ == Tokenizer::kRequest) {
    log(fallback_ == Fallback::kApproximate ? cpp::LogLevel::kWarn : cpp::LogLevel::kInfo,
        std::string("no tokenizer for text prompts (tokenizer.type: request): only "
                    "pre-tokenized prompts are matched on the endpoints' KV events; text "
                    "prompts ") +
            (fallback_ == Fallback::kApproximate
                 ? "are scored by the approximate prefix index (fallback: approximate)"
                 : "score 0 on every endpoint (fallback: none)"));
  }

  scoredPrecise_ =
      registerMetric(EPP_METRIC_COUNTER, "eppd_precise_prefix_scored_total",
                     "Requests scored, by how: precise (KV events) or fallback", {"path"})
          .series({"precise"});
  scoredFallback_ =
      registerMetric(EPP_METRIC_COUNTER, "eppd_precise_prefix_scored_total",
                     "Requests scored, by how: precise (KV events) or fallback", {"path"})
          .series({"fallback"});
  indexKeys_ = registerMetric(EPP_METRIC_GAUGE, "eppd_precise_prefix_index_keys",
                              "Blocks in the precise prefix index")
                   .series();
  orphans_ = registerMetric(EPP_METRIC_COUNTER, "eppd_precise_prefix_orphan_blocks_total",
                            "Stored blocks skipped because their parent block was unknown")
                 .series();
  guesses_ =
      registerMetric(EPP_METRIC_COUNTER, "eppd_precise_prefix_speculative_blocks_total",
                     "Blocks entered speculatively right after routing (speculativeIndexing)")
          .series();
  mismatches_ =
      registerMetric(EPP_METRIC_COUNTER, "eppd_precise_prefix_block_size_mismatches_total",
                     "Stored-block events whose block size is not tokenProcessorConfig."
                     "blockSize (skipped)")
          .series();
}

uint64_t PrecisePrefixCacheScorer::rootFor(std::string_view model, int64_t loraId) const {
  if (loraId < 0) return rootBlockKey(hashSeed_, model);
  // Adapter blocks never match base-model requests.
  return rootBlockKey(hashSeed_, std::string(model) + "#lora" + std::to_string(loraId));
}

bool PrecisePrefixCacheScorer::tokens(const cpp::Request& request,
                                      std::vector<uint32_t>& out) const {
  std::span<const uint32_t> ids = request.tokenIds();
  if (!ids.empty()) {
    out.assign(ids.begin(), ids.end());
    return true;
  }
  if (tokenizer_ != Tokenizer::kChars || request.prompt().empty()) return false;
  charsTokenize(request.prompt(), charsPerToken_, out);
  return true;
}

void PrecisePrefixCacheScorer::fallbackScores(const cpp::Request& request,
                                              const cpp::EndpointList& candidates,
                                              std::span<double> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0);
  if (fallback_ != Fallback::kApproximate) return;
  const auto ratios = request.dataGet(kMatchRatioKey, candidates);
  if (!ratios) return;
  for (size_t i = 0; i < candidates.size(); ++i) {
    double r = (*ratios)[i];
    scores[i] = std::isfinite(r) ? std::clamp(r, 0.0, 1.0) : 0.0;
  }
}

void PrecisePrefixCacheScorer::score(const cpp::Request& request,
                                     const cpp::EndpointList& candidates,
                                     std::span<double> scores) {
  std::vector<uint32_t> ids;
  if (!tokens(request, ids)) {
    scoredFallback_.add(1);
    fallbackScores(request, candidates, scores);
    return;
  }
  scoredPrecise_.add(1);
  std::fill(scores.begin(), scores.end(), 0.0);
  std::vector<uint64_t> keys;
  blockKeys(rootFor(request.targetModel(), -1), ids, blockSize_, maxBlocks_, keys);
  if (keys.empty()) return;  // shorter than one block: nothing to match
  std::unordered_map<uint64_t, double> runs;
  index_.longestPrefix(keys, runs, cpp::nowNs());
  const double total = static_cast<double>(keys.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto it = runs.find(candidates[i].id());
    if (it != runs.end()) scores[i] = std::min(1.0, it->second / total);
  }
  if (speculative_) setState(request, std::make_unique<ScoredKeys>(ScoredKeys{std::move(keys)}));
}

void PrecisePrefixCacheScorer::preRequest(const cpp::Request& request,
                                          const cpp::SchedulingResult& result) {
  const ScoredKeys* scored = state<ScoredKeys>(request);
  if (scored == nullptr) return;
  std::optional<cpp::ProfileResult> primary = result.primary();
  if (!primary || !primary->ok() || primary->targetCount() == 0) return;
  const int64_t now = cpp::nowNs();
  index_.addSpeculative(primary->target(0).id(), scored->keys, now, now + speculativeTtlNs_);
  guesses_.add(static_cast<double>(scored->keys.size()));
}

void PrecisePrefixCacheScorer::endpointsRemoved(std::span<const uint64_t> endpointIds) {
  for (uint64_t id : endpointIds) index_.clearEndpoint(id);
  indexKeys_.set(static_cast<double>(index_.keyCount()));
}

void PrecisePrefixCacheScorer::kvEvents(const cpp::KvEventBatch& batch, bool resync) {
  const uint64_t endpoint = batch.endpointId();
  if (resync) index_.clearEndpoint(endpoint);
  size_t orphans = 0, mismatches = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    cpp::KvEvent e = batch[i];
    switch (e.type()) {
      case EPP_KV_BLOCK_STORED: {
        auto out = index_.blockStored(endpoint, rootFor(batch.model(), e.loraId()), e.parentHash(),
                                      e.blockHashes(), e.tokenIds(), e.blockSize(), e.medium());
        orphans += out.orphans;
        mismatches += out.blockSizeMismatch;
        break;
      }
      case EPP_KV_BLOCK_REMOVED:
        index_.blockRemoved(endpoint, e.blockHashes(), e.medium());
        break;
      case EPP_KV_ALL_CLEARED:
        index_.clearEndpoint(endpoint);
        break;
      default:
        break;
    }
  }
  if (orphans > 0) orphans_.add(static_cast<double>(orphans));
  if (mismatches > 0) {
    mismatches_.add(static_cast<double>(mismatches));
    if (!warnedBlockSize_.exchange(true)) {
      log(cpp::LogLevel::kWarn,
          "KV events carry blocks of another size than tokenProcessorConfig.blockSize (" +
              std::to_string(blockSize_) +
              "): they are skipped; set blockSize to the engine's block size");
    }
  }
  indexKeys_.set(static_cast<double>(index_.keyCount()));
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppPrecisePrefixCacheEntry, "precise-prefix-cache", "1.0.0",
                    "Prefix-cache affinity from the endpoints' own KV-cache events",
                    EPP_TYPE(epp::plugins::PrecisePrefixCacheScorer, "precise-prefix-cache-scorer",
                             "longest run of leading KV blocks the endpoint holds / request "
                             "blocks (GPU 1.0, CPU 0.8)"))

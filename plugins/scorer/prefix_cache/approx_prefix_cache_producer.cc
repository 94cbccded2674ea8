#include "plugins/scorer/prefix_cache/approx_prefix_cache_producer.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "plugins/scorer/prefix_cache/prefix_index_codec.h"

namespace epp::plugins {
namespace {

// What prepareRequest learnt, for preRequest: the block size it hashed with (autoTune may
// differ per request) and each candidate's match before the decision.
struct MatchState {
  uint32_t blockSizeTokens = 0;
  uint32_t maxBlocks = 0;
  size_t totalBlocks = 0;
  std::vector<uint64_t> endpointIds;
  std::vector<size_t> matched;

  std::optional<size_t> matchedBy(uint64_t endpointId) const {
    auto found = std::find(endpointIds.begin(), endpointIds.end(), endpointId);
    if (found == endpointIds.end()) return std::nullopt;
    return matched[static_cast<size_t>(found - endpointIds.begin())];
  }
};

std::optional<cpp::Endpoint> firstTarget(const cpp::ProfileResult& result) {
  if (!result.ok() || result.targetCount() == 0) return std::nullopt;
  return result.target(0);
}

}  // namespace

ApproxPrefixCacheProducer::ApproxPrefixCacheProducer(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      config_(PrefixCacheConfig::parse(
          ctx.params(), [this](const std::string& m) { log(cpp::LogLevel::kWarn, m); })),
      indexSize_(registerMetric(EPP_METRIC_GAUGE, kIndexSizeMetric, "Size of the prefix indexer.")
                     .series()),
      hitRatio_(registerMetric(EPP_METRIC_HISTOGRAM, kHitRatioMetric,
                               "Ratio of prefix length matched to total prefix length in the "
                               "cache lookup.",
                               {}, {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0})
                    .series()) {
  indexSize_.set(0);
}

void ApproxPrefixCacheProducer::prepareRequest(const cpp::Request& request,
                                               const cpp::EndpointList& candidates) {
  if (candidates.empty()) return;
  auto state = std::make_unique<MatchState>();
  state->blockSizeTokens = config_.blockSizeFor(candidates);
  state->maxBlocks = config_.maxBlocksFor(state->blockSizeTokens);
  const std::span<const uint64_t> hashes =
      request.prefixHashes(state->blockSizeTokens, state->maxBlocks);
  state->totalBlocks = hashes.size();
  state->endpointIds.reserve(candidates.size());
  for (auto e : candidates) state->endpointIds.push_back(e.id());
  state->matched.resize(candidates.size());
  {
    std::shared_lock lock(mutex_);
    index_.match(hashes, state->endpointIds, state->matched);
  }
  // Published for every candidate, zeros included, so a scorer tells "no match" from "no
  // producer". A prompt shorter than one block matches nothing anywhere.
  std::vector<double> ratios(candidates.size(), 0.0);
  std::vector<double> tokens(candidates.size(), 0.0);
  if (state->totalBlocks > 0) {
    for (size_t i = 0; i < ratios.size(); ++i) {
      ratios[i] = static_cast<double>(state->matched[i]) / static_cast<double>(state->totalBlocks);
      tokens[i] = static_cast<double>(state->matched[i]) * state->blockSizeTokens;
    }
  }
  request.dataPut(kMatchRatioKey, state->endpointIds, ratios);
  request.dataPut(kMatchedTokensKey, state->endpointIds, tokens);
  setState(request, std::move(state));
}

void ApproxPrefixCacheProducer::preRequest(const cpp::Request& request,
                                           const cpp::SchedulingResult& result) {
  const std::optional<cpp::ProfileResult> primaryResult = result.primary();
  if (!primaryResult) return;
  const std::optional<cpp::Endpoint> primary = firstTarget(*primaryResult);
  if (!primary) return;  // the request goes nowhere: nothing gets cached
  // The primary target computes the prompt; so does every other profile's first target (a
  // disaggregated prefill endpoint, say).
  std::vector<cpp::Endpoint> targets{*primary};
  const cpp::ProfileResults profiles = result.profiles();
  for (size_t i = 0; i < profiles.size(); ++i) {
    std::optional<cpp::Endpoint> target = firstTarget(profiles[i]);
    if (!target) continue;
    const bool seen = std::any_of(targets.begin(), targets.end(),
                                  [&](const cpp::Endpoint& t) { return t.id() == target->id(); });
    if (!seen) targets.push_back(*target);
  }

  const MatchState* state = this->state<MatchState>(request);
  const uint32_t blockSize = state ? state->blockSizeTokens : config_.blockSizeFor(*primary);
  const uint32_t maxBlocks = state ? state->maxBlocks : config_.maxBlocksFor(blockSize);
  const std::span<const uint64_t> hashes = request.prefixHashes(blockSize, maxBlocks);
  if (hashes.empty()) return;

  std::unique_lock lock(mutex_);
  // Hit ratio of the endpoint the request actually goes to, as matched before the decision.
  std::optional<size_t> matched = state ? state->matchedBy(primary->id()) : std::nullopt;
  if (!matched) {
    const uint64_t id = primary->id();
    size_t found = 0;
    index_.match(hashes, {&id, 1}, {&found, 1});
    matched = found;
  }
  hitRatio_.observe(static_cast<double>(*matched) / static_cast<double>(hashes.size()));
  for (const cpp::Endpoint& target : targets) {
    index_.insert(target.id(), hashes, config_.capacityFor(target));
  }
  indexSize_.set(static_cast<double>(index_.size()));
}

void ApproxPrefixCacheProducer::endpointsRemoved(std::span<const uint64_t> endpointIds) {
  std::unique_lock lock(mutex_);
  for (uint64_t id : endpointIds) index_.removeEndpoint(id);
  indexSize_.set(static_cast<double>(index_.size()));
}

std::optional<cpp::ExportedState> ApproxPrefixCacheProducer::exportState() {
  // Requests keep matching meanwhile; recording waits for the copy (a few ms per million
  // entries).
  std::shared_lock lock(mutex_);
  if (index_.size() == 0) return std::nullopt;
  return cpp::ExportedState{std::string(kPrefixIndexFormatV1),
                            encodePrefixIndex(index_, {.blockSizeTokens = config_.blockSizeTokens,
                                                       .autoTune = config_.autoTune})};
}

bool ApproxPrefixCacheProducer::importState(std::string_view format, std::string_view data) {
  if (format != kPrefixIndexFormatV1) return false;
  const PrefixIndexImage image = parsePrefixIndex(data);
  // Blocks hashed at another size would never match: start fresh instead of filling the
  // LRUs with dead entries. Auto-tuned on both sides, the engines decide the size for both.
  const PrefixIndexHashing& from = image.hashing;
  if (from.autoTune != config_.autoTune ||
      (!config_.autoTune && from.blockSizeTokens != config_.blockSizeTokens)) {
    auto describe = [](bool autoTune, uint32_t blockSize) {
      return autoTune ? std::string("auto-tuned blocks")
                      : "blocks of " + std::to_string(blockSize) + " tokens";
    };
    throw cpp::Error("index of " + describe(from.autoTune, from.blockSizeTokens) +
                     " does not fit this instance's " +
                     describe(config_.autoTune, config_.blockSizeTokens));
  }
  // The capacity this instance would give each endpoint. With autoTune it follows each
  // engine's KV blocks, unknown until the endpoint's next request: keep what the old
  // instance held (within the engine's capacity then), the next insert trims it.
  const size_t capacity = config_.autoTune ? static_cast<size_t>(PrefixCacheConfig::kMaxLruCapacity)
                                           : config_.lruCapacityPerServer;
  PrefixIndex index = buildPrefixIndex(image, capacity);
  std::unique_lock lock(mutex_);
  index_ = std::move(index);
  indexSize_.set(static_cast<double>(index_.size()));
  log(cpp::LogLevel::kInfo, "took over a prefix index of " + std::to_string(index_.size()) +
                                " entries over " + std::to_string(index_.endpointCount()) +
                                " endpoints");
  return true;
}

}  // namespace epp::plugins

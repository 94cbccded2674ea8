// File: plugins/scorer/precise_prefix_cache/precise_index.cc
#include "plugins/scorer/precise_prefix_cache/precise_index.h"

#include <xxhash.h>

#include <algorithm>
#include <mutex>

namespace epp::plugins {

uint64_t rootBlockKey(std::string_view hashSeed, std::string_view model) {
  return XXH3_64bits_withSeed(model.data(), model.size(),
                              XXH3_64bits(hashSeed.data(), hashSeed.size()));
}

uint64_t blockKey(uint64_t parent, std::span<const uint32_t> tokens) {
  return XXH3_64bits_withSeed(tokens.data(), tokens.size_bytes(), parent);
}

void blockKeys(uint64_t root, std::span<const uint32_t> tokens, int32_t blockSize, size_t maxBlocks,
               std::vector<uint64_t>& out) {
  const size_t size = static_cast<size_t>(blockSize);
  uint64_t key = root;
  for (size_t at = 0; at + size <= tokens.size() && maxBlocks > 0; at += size, --maxBlocks) {
    key = blockKey(key, tokens.subspan(at, size));
    out.push_back(key);
  }
}

PreciseIndex::PreciseIndex(Options options) : options_(options) {}

double PreciseIndex::mediumWeight(uint32_t mediumMask) {
  if (mediumMask & (1u << EPP_KV_MEDIUM_GPU)) return 1.0;
  if (mediumMask & (1u << EPP_KV_MEDIUM_CPU)) return 0.8;
  return mediumMask != 0 ? 0.5 : 0.0;
}

PreciseIndex::Outcome PreciseIndex::blockStored(uint64_t endpoint, uint64_t root,
                                                std::optional<uint64_t> parent,
                                                std::span<const uint64_t> engineHashes,
                                                std::span<const uint32_t> tokens,
                                                int32_t eventBlockSize, epp_kv_medium medium) {
  Outcome out;
  if (eventBlockSize != options_.blockSize ||
      tokens.size() != engineHashes.size() * static_cast<size_t>(eventBlockSize)) {
    out.blockSizeMismatch = 1;
    return out;
  }
  const uint32_t bit = 1u << static_cast<uint32_t>(medium);
  std::unique_lock lock(mutex_);
  uint64_t key = root;
  if (parent) {
    auto ep = byEndpoint_.find(endpoint);
    auto it = ep == byEndpoint_.end() ? EngineMap::iterator{} : ep->second.find(*parent);
    if (ep == byEndpoint_.end() || it == ep->second.end()) {
      out.orphans = engineHashes.size();
      return out;
    }
    key = it->second;
  }
  const size_t size = static_cast<size_t>(eventBlockSize);
  for (size_t i = 0; i < engineHashes.size(); ++i) {
    key = blockKey(key, tokens.subspan(i * size, size));
    addHolder(key, endpoint, engineHashes[i], bit);
    ++out.stored;
  }
  return out;
}

void PreciseIndex::addHolder(uint64_t key, uint64_t endpoint, uint64_t engineHash,
                             uint32_t mediumBit) {
  auto [it, fresh] = entries_.try_emplace(key);
  Entry& entry = it->second;
  if (fresh) {
    lru_.push_front(key);
    entry.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, entry.lru);
  }
  auto holder = std::find_if(entry.holders.begin(), entry.holders.end(),
                             [&](const Holder& h) { return h.endpoint == endpoint; });
  if (holder != entry.holders.end() && holder->speculativeUntil != 0) {
    // The guess came true: the endpoint reports the block.
    holder->speculativeUntil = 0;
    holder->mediums = mediumBit;
    holder->engineHash = engineHash;
  } else if (holder != entry.holders.end()) {
    holder->mediums |= mediumBit;
    if (holder->engineHash != engineHash) {
      // The engine named the same tokens differently (a new hash seed after a restart
      // without a clear): the newer name wins.
      byEndpoint_[endpoint].erase(holder->engineHash);
      holder->engineHash = engineHash;
    }
  } else {
    if (entry.holders.size() >= options_.maxEndpointsPerKey) dropHolder(entry, 0);
    entry.holders.push_back({endpoint, engineHash, mediumBit});
  }
  byEndpoint_[endpoint][engineHash] = key;
  if (entries_.size() > options_.maxKeys) evictKey(entries_.find(lru_.back()));
}

void PreciseIndex::dropHolder(Entry& entry, size_t index) {
  const Holder& h = entry.holders[index];
  auto ep = h.speculativeUntil != 0 ? byEndpoint_.end() : byEndpoint_.find(h.endpoint);
  if (ep != byEndpoint_.end()) {
    ep->second.erase(h.engineHash);
    if (ep->second.empty()) byEndpoint_.erase(ep);
  }
  entry.holders.erase(entry.holders.begin() + static_cast<std::ptrdiff_t>(index));
}

void PreciseIndex::evictKey(std::unordered_map<uint64_t, Entry>::iterator it) {
  while (!it->second.holders.empty()) dropHolder(it->second, it->second.holders.size() - 1);
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

PreciseIndex::Outcome PreciseIndex::blockRemoved(uint64_t endpoint,
                                                 std::span<const uint64_t> engineHashes,
                                                 epp_kv_medium medium) {
  Outcome out;
  const uint32_t bit = 1u << static_cast<uint32_t>(medium);
  std::unique_lock lock(mutex_);
  for (uint64_t hash : engineHashes) {
    auto ep = byEndpoint_.find(endpoint);
    if (ep == byEndpoint_.end()) break;
    auto mapping = ep->second.find(hash);
    if (mapping == ep->second.end()) continue;
    auto it = entries_.find(mapping->second);
    if (it == entries_.end()) {
      ep->second.erase(mapping);
      continue;
    }
    auto& holders = it->second.holders;
    for (size_t i = 0; i < holders.size(); ++i) {
      if (holders[i].endpoint != endpoint) continue;
      holders[i].mediums &= ~bit;
      if (holders[i].mediums == 0) {
        dropHolder(it->second, i);
        ++out.removed;
      }
      break;
    }
    if (holders.empty()) {
      lru_.erase(it->second.lru);
      entries_.erase(it);
    }
  }
  return out;
}

void PreciseIndex::clearEndpoint(uint64_t endpoint) {
  std::unique_lock lock(mutex_);
  auto ep = byEndpoint_.find(endpoint);
  if (ep == byEndpoint_.end()) return;
  std::vector<uint64_t> keys;
  keys.reserve(ep->second.size());
  for (const auto& [hash, key] : ep->second) keys.push_back(key);
  for (uint64_t key : keys) {
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    auto& holders = it->second.holders;
    std::erase_if(holders, [&](const Holder& h) { return h.endpoint == endpoint; });
    if (holders.empty()) {
      lru_.erase(it->second.lru);
      entries_.erase(it);
    }
  }
  byEndpoint_.erase(endpoint);
}

void PreciseIndex::addSpeculative(uint64_t endpoint, std::span<const uint64_t> keys, int64_t nowNs,
                                  int64_t expiresNs) {
  std::unique_lock lock(mutex_);
  // Sweep guesses that expired without coming true.
  while (!guesses_.empty() && guesses_.front().expiresNs <= nowNs) {
    Guess g = guesses_.front();
    guesses_.pop_front();
    auto it = entries_.find(g.key);
    if (it == entries_.end()) continue;
    auto& holders = it->second.holders;
    for (size_t i = 0; i < holders.size(); ++i) {
      if (holders[i].endpoint == g.endpoint && holders[i].speculativeUntil != 0 &&
          holders[i].speculativeUntil <= nowNs) {
        dropHolder(it->second, i);
        break;
      }
    }
    if (holders.empty()) {
      lru_.erase(it->second.lru);
      entries_.erase(it);
    }
  }
  for (uint64_t key : keys) {
    auto [it, fresh] = entries_.try_emplace(key);
    Entry& entry = it->second;
    if (fresh) {
      lru_.push_front(key);
      entry.lru = lru_.begin();
    }
    auto holder = std::find_if(entry.holders.begin(), entry.holders.end(),
                               [&](const Holder& h) { return h.endpoint == endpoint; });
    if (holder != entry.holders.end()) {
      // Already reported: nothing to guess. An earlier guess: it lasts longer.
      if (holder->speculativeUntil != 0) holder->speculativeUntil = expiresNs;
    } else {
      if (entry.holders.size() >= options_.maxEndpointsPerKey) dropHolder(entry, 0);
      entry.holders.push_back({endpoint, 0, 1u << EPP_KV_MEDIUM_GPU, expiresNs});
    }
    guesses_.push_back({expiresNs, key, endpoint});
    if (entries_.size() > options_.maxKeys) evictKey(entries_.find(lru_.back()));
  }
}

void PreciseIndex::longestPrefix(std::span<const uint64_t> keys,
                                 std::unordered_map<uint64_t, double>& out, int64_t nowNs) const {
  std::shared_lock lock(mutex_);
  // `alive`: endpoints that held every key so far, with their weighted run.
  std::unordered_map<uint64_t, double> alive;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = entries_.find(keys[i]);
    if (it == entries_.end()) break;
    size_t extended = 0;
    for (const Holder& h : it->second.holders) {
      if (!h.counts(nowNs)) continue;
      if (i == 0) {
        alive[h.endpoint] = mediumWeight(h.mediums);
        ++extended;
        continue;
      }
      auto a = alive.find(h.endpoint);
      if (a == alive.end() || a->second < 0) continue;
      a->second += mediumWeight(h.mediums);
      ++extended;
    }
    // Endpoints that did not hold this key stop here: their run is final.
    for (auto& [endpoint, run] : alive) {
      if (run < 0) continue;
      bool held =
          std::any_of(it->second.holders.begin(), it->second.holders.end(),
                      [&](const Holder& h) { return h.endpoint == endpoint && h.counts(nowNs); });
      if (!held) {
        out[endpoint] = run;
        run = -1;  // finished
      }
    }
    if (extended == 0) break;
  }
  for (const auto& [endpoint, run] : alive) {
    if (run >= 0) out[endpoint] = run;
  }
}

size_t PreciseIndex::keyCount() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

size_t PreciseIndex::endpointBlockCount(uint64_t endpoint) const {
  std::shared_lock lock(mutex_);
  auto ep = byEndpoint_.find(endpoint);
  return ep == byEndpoint_.end() ? 0 : ep->second.size();
}

}  // namespace epp::plugins

#include "host/datalayer/scrape_outcome.h"

#include <unordered_map>

namespace epp::datalayer {
namespace {

bool scraped(const EndpointState& s) { return s.scrape && !s.manual; }

bool isStale(const EndpointState& s, const ScrapeSettings& settings, int64_t nowNs) {
  return s.hasMetrics && nowNs - s.metricsUpdatedNs > settings.stalenessNs;
}

void applySuccess(EndpointState& s, const ScrapeOutcome& o, const ScrapeSettings& settings) {
  const epp_endpoint_metrics& m = o.metrics.numbers;
  s.hasMetrics = true;
  if (m.present & EPP_METRICS_HAS_WAITING) s.waiting = m.waiting_requests;
  if (m.present & EPP_METRICS_HAS_RUNNING) s.running = m.running_requests;
  if (m.present & EPP_METRICS_HAS_KV_USAGE) s.kvCacheUsage = m.kv_cache_usage;
  if (m.present & EPP_METRICS_HAS_MAX_LORAS) s.maxLoras = m.max_loras;
  if (o.metrics.hasLoraInfo()) {
    s.activeLoras = o.metrics.activeLoras;
    s.waitingLoras = o.metrics.waitingLoras;
  }
  if (m.present & EPP_METRICS_HAS_CACHE_BLOCK_SIZE) s.cacheBlockSize = m.cache_block_size;
  if (m.present & EPP_METRICS_HAS_CACHE_NUM_BLOCKS) s.cacheNumBlocks = m.cache_num_blocks;
  s.engineLabels = o.metrics.labels;
  if (!o.detectedEngine.empty()) s.detectedEngine = o.detectedEngine;
  s.metricsUpdatedNs = o.atNs;
  if (o.probedHealth) {
    s.health = *o.probedHealth;
  } else if (s.consecutiveFailures >= settings.failureThreshold) {
    // Back after failures; the next health probe refines this.
    s.health = EPP_HEALTH_HEALTHY;
  }
  s.consecutiveFailures = 0;
  if (!o.healthError.empty()) {
    s.scrapeError = o.healthError;
    s.scrapeErrorNs = o.atNs;
  } else if (servable(s.health)) {
    s.scrapeError.clear();  // kept out by its last probe: the probe's reason stays
  }
}

void applyFailure(EndpointState& s, const ScrapeOutcome& o, const ScrapeSettings& settings) {
  ++s.consecutiveFailures;
  s.scrapeError = o.error;
  s.scrapeErrorNs = o.atNs;
  if (s.consecutiveFailures >= settings.failureThreshold) s.health = EPP_HEALTH_UNHEALTHY;
}

}  // namespace

bool applyOutcomes(std::vector<EndpointState>& states, const std::vector<ScrapeOutcome>& outcomes,
                   const ScrapeSettings& settings, int64_t nowNs) {
  std::unordered_map<std::string, const ScrapeOutcome*> byKey;
  for (const auto& o : outcomes) byKey[o.pool + "|" + o.hostPort] = &o;  // the last one wins
  bool changed = false;
  for (auto& s : states) {
    if (!scraped(s)) continue;
    if (!byKey.empty()) {
      auto it = byKey.find(s.pool + "|" + s.hostPort());
      if (it != byKey.end()) {
        const ScrapeOutcome& o = *it->second;
        s.lastScrapeNs = o.atNs;
        if (o.ok) {
          applySuccess(s, o, settings);
        } else {
          applyFailure(s, o, settings);
        }
        changed = true;
      }
    }
    bool stale = isStale(s, settings, nowNs);
    if (stale != s.stale) {
      s.stale = stale;
      changed = true;
    }
  }
  return changed;
}

bool stalenessChanges(const EndpointSnapshot& snapshot, const ScrapeSettings& settings,
                      int64_t nowNs) {
  for (size_t i = 0; i < snapshot.size(); ++i) {
    const EndpointState& s = snapshot.state(i);
    if (scraped(s) && isStale(s, settings, nowNs) != s.stale) return true;
  }
  return false;
}

}  // namespace epp::datalayer

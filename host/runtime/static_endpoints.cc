#include "host/runtime/static_endpoints.h"

#include <tuple>

namespace epp::runtime {
namespace {

auto fields(const config::EndpointSpec& e) {
  return std::tie(e.address, e.port, e.name, e.engine, e.role, e.pool, e.labels, e.scrape);
}

// Everything the data layer learns, as opposed to what the config says.
void copyLearnt(const datalayer::EndpointState& from, datalayer::EndpointState& to) {
  to.hasMetrics = from.hasMetrics;
  to.waiting = from.waiting;
  to.running = from.running;
  to.kvCacheUsage = from.kvCacheUsage;
  to.activeLoras = from.activeLoras;
  to.waitingLoras = from.waitingLoras;
  to.maxLoras = from.maxLoras;
  to.cacheBlockSize = from.cacheBlockSize;
  to.cacheNumBlocks = from.cacheNumBlocks;
  to.metricsUpdatedNs = from.metricsUpdatedNs;
  to.health = from.health;
  to.stale = from.stale;
  to.manual = from.manual;
  to.engineLabels = from.engineLabels;
  to.consecutiveFailures = from.consecutiveFailures;
  to.scrapeError = from.scrapeError;
  to.scrapeErrorNs = from.scrapeErrorNs;
  to.lastScrapeNs = from.lastScrapeNs;
}

}  // namespace

std::vector<datalayer::EndpointState> staticEndpoints(const config::PickerConfig& c) {
  std::vector<datalayer::EndpointState> out;
  for (const auto& e : c.endpoints) {
    datalayer::EndpointState s;
    s.address = e.address;
    s.port = e.port;
    s.name = e.name;
    s.engine = e.engine;
    s.role = e.role;
    s.pool = e.pool;
    s.labels = e.labels;
    s.source = "static";
    s.health = EPP_HEALTH_HEALTHY;
    s.scrape = e.scrape;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<datalayer::EndpointState> mergeStaticEndpoints(
    const config::PickerConfig& config, const std::vector<datalayer::EndpointState>& current) {
  std::vector<datalayer::EndpointState> out = staticEndpoints(config);
  for (auto& s : out) {
    std::string hostPort = s.hostPort();
    for (const auto& old : current) {
      if (old.pool == s.pool && old.hostPort() == hostPort) {
        copyLearnt(old, s);
        break;
      }
    }
  }
  return out;
}

bool sameStaticEndpoints(const config::PickerConfig& a, const config::PickerConfig& b) {
  if (a.endpoints.size() != b.endpoints.size()) return false;
  for (size_t i = 0; i < a.endpoints.size(); ++i) {
    if (fields(a.endpoints[i]) != fields(b.endpoints[i])) return false;
  }
  return true;
}

}  // namespace epp::runtime

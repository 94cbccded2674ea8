#include "host/runtime/pool_metrics.h"

#include <map>
#include <set>
#include <string>

#include "host/runtime/metrics.h"

namespace epp::runtime {
namespace {

struct PoolSums {
  size_t ready = 0;
  size_t withMetrics = 0;
  double kv = 0;
  double waiting = 0;
  double running = 0;
};

}  // namespace

void exportPoolMetrics(const datalayer::EndpointSnapshot& snapshot) {
  // Publishers are serialised by the store, so this needs no lock of its own.
  static std::set<std::string> seen;
  std::map<std::string, PoolSums> pools;
  for (size_t i = 0; i < snapshot.size(); ++i) {
    const datalayer::EndpointState& s = snapshot.state(i);
    PoolSums& p = pools[s.pool];
    if (s.health != EPP_HEALTH_HEALTHY && s.health != EPP_HEALTH_UNKNOWN) continue;
    ++p.ready;
    if (!s.hasMetrics) continue;
    ++p.withMetrics;
    p.kv += s.kvCacheUsage;
    p.waiting += static_cast<double>(s.waiting);
    p.running += static_cast<double>(s.running);
  }
  for (const auto& name : seen) pools.try_emplace(name);
  for (const auto& [name, p] : pools) {
    seen.insert(name);
    const double n = p.withMetrics == 0 ? 1.0 : static_cast<double>(p.withMetrics);
    Metrics::get().poolState(name, p.ready, p.kv / n, p.waiting / n, p.running / n);
  }
}

}  // namespace epp::runtime

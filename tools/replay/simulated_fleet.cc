#include "tools/replay/simulated_fleet.h"

#include <fmt/format.h>

namespace epp::replay {
namespace {

constexpr uint32_t kPort = 8000;

}  // namespace

SimulatedFleet::SimulatedFleet(int servers, const sim::EngineOptions& options) {
  engines_.reserve(static_cast<size_t>(servers));
  for (int i = 0; i < servers; ++i) {
    sim::EngineOptions o = options;
    o.seed = options.seed + static_cast<uint64_t>(i);
    engines_.emplace_back(o);
    addresses_.push_back(fmt::format("10.0.{}.{}", i / 250, i % 250 + 1));
    hostPorts_.push_back(fmt::format("{}:{}", addresses_.back(), kPort));
  }
  for (size_t i = 0; i < hostPorts_.size(); ++i)
    byHostPort_.emplace(hostPorts_[i], static_cast<int>(i));
}

int SimulatedFleet::find(std::string_view hostPort) const {
  auto it = byHostPort_.find(hostPort);
  return it == byHostPort_.end() ? -1 : it->second;
}

std::vector<datalayer::EndpointState> SimulatedFleet::endpoints() const {
  std::vector<datalayer::EndpointState> out;
  for (size_t i = 0; i < engines_.size(); ++i) {
    datalayer::EndpointState s;
    s.address = addresses_[i];
    s.port = kPort;
    s.name = fmt::format("sim-{}", i + 1);
    s.source = "replay";
    out.push_back(std::move(s));
  }
  return out;
}

void SimulatedFleet::scrapeInto(datalayer::EndpointStore& store, int64_t nowNs) const {
  store.update([&](std::vector<datalayer::EndpointState>& states) {
    for (auto& s : states) {
      int i = find(s.hostPort());
      if (i < 0) continue;
      const sim::Engine& e = engines_[static_cast<size_t>(i)];
      sim::EngineMetrics m = e.metrics();
      s.hasMetrics = true;
      s.waiting = m.waiting;
      s.running = m.running;
      s.kvCacheUsage = m.kvUsage;
      s.activeLoras = m.runningLoras;
      s.waitingLoras = m.waitingLoras;
      s.maxLoras = m.maxLoras;
      s.cacheBlockSize = m.blockSize;
      s.cacheNumBlocks = m.numBlocks;
      s.metricsUpdatedNs = nowNs;
      s.stale = false;
    }
    return true;
  });
}

double SimulatedFleet::prefixHitTokens() const {
  double sum = 0;
  for (const auto& e : engines_) sum += static_cast<double>(e.metrics().prefixHitTokens);
  return sum;
}

double SimulatedFleet::prefixQueryTokens() const {
  double sum = 0;
  for (const auto& e : engines_) sum += static_cast<double>(e.metrics().prefixQueryTokens);
  return sum;
}

}  // namespace epp::replay

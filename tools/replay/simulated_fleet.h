// File: tools/replay/simulated_fleet.h
//
// The model servers of a replay: one simulator engine per server, each at a made-up
// address, and their state as eppd would have scraped it (the vLLM fields a backend
// adapter fills: waiting, running, KV usage, LoRA adapters, cache geometry).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "host/datalayer/endpoint_snapshot.h"
#include "tools/sim/engine/engine.h"

namespace epp::replay {

class SimulatedFleet {
 public:
  // `servers` engines with `options`; server i gets seed options.seed + i and the address
  // 10.0.<i / 250>.<i % 250 + 1>:8000.
  SimulatedFleet(int servers, const sim::EngineOptions& options);

  size_t size() const { return engines_.size(); }
  sim::Engine& engine(size_t i) { return engines_[i]; }
  const std::string& hostPort(size_t i) const { return hostPorts_[i]; }
  // The server at "ip:port", or -1.
  int find(std::string_view hostPort) const;

  // The endpoints as an endpoint source reports them (no metrics yet).
  std::vector<datalayer::EndpointState> endpoints() const;
  // A scrape of every server at `nowNs`: their metrics written into `store`.
  void scrapeInto(datalayer::EndpointStore& store, int64_t nowNs) const;
  // Prompt tokens found in / looked up in the servers' prefix caches, summed.
  double prefixHitTokens() const;
  double prefixQueryTokens() const;

 private:
  std::vector<sim::Engine> engines_;
  std::vector<std::string> addresses_;
  std::vector<std::string> hostPorts_;
  std::unordered_map<std::string_view, int> byHostPort_;  // views into hostPorts_
};

}  // namespace epp::replay

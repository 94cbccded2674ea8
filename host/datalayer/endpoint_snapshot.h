// File: host/datalayer/endpoint_snapshot.h
//
// The endpoints eppd knows and their last scraped state, as an immutable snapshot the
// request path reads without locks. The plugin views (epp_endpoint_view) are filled once
// when a snapshot is built, never per request. A request keeps the snapshot it started
// with (shared_ptr) until it ends, so every view it handed to plugins stays valid.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "epp/abi.h"

namespace epp::datalayer {

// What eppd knows of one endpoint. Plain data; the snapshot builds the ABI view from it.
struct EndpointState {
  std::string address;
  uint32_t port = 0;
  std::string name;
  std::string engine = "vllm";
  std::string role;
  std::string pool = "default";
  std::map<std::string, std::string> labels;
  std::string source = "static";  // which endpoint source reported it

  bool hasMetrics = false;
  int64_t waiting = 0;
  int64_t running = 0;
  double kvCacheUsage = 0;
  std::vector<std::string> activeLoras;
  std::vector<std::string> waitingLoras;
  int64_t maxLoras = 0;
  int64_t cacheBlockSize = 0;
  int64_t cacheNumBlocks = 0;
  int64_t metricsUpdatedNs = 0;
  epp_health health = EPP_HEALTH_HEALTHY;
  bool stale = false;

  // Scraping (metrics_scraper.h). `scrape` comes from the source (config `scrape: false`
  // turns it off); `manual` is set by POST /endpoints/state, after which the scraper
  // leaves the endpoint's state to whoever set it.
  bool scrape = true;
  bool manual = false;
  // Engine-specific labels the backend adapter reported (model_name, …).
  std::map<std::string, std::string> engineLabels;
  int consecutiveFailures = 0;
  std::string detectedEngine;  // engine `auto`: the adapter /v1/models matched
  std::string scrapeError;     // the last failure; empty after a success
  int64_t scrapeErrorNs = 0;
  int64_t lastScrapeNs = 0;  // end of the last attempt, successful or not

  // "ip:port", IPv6 in brackets: what the gateway receives.
  std::string hostPort() const;
};

// Stable id of an endpoint: the same pool and ip:port give the same id in every snapshot,
// across reloads and restarts (so replays and plugin state keyed by it agree).
uint64_t endpointId(std::string_view pool, std::string_view hostPort);

// eppd's own count of routed, unfinished requests to one endpoint, shared by every
// snapshot that holds the endpoint.
using InflightCounter = std::shared_ptr<std::atomic<int64_t>>;

class EndpointSnapshot {
 public:
  // `counterFor(id)` supplies the shared in-flight counter of each endpoint.
  EndpointSnapshot(std::vector<EndpointState> states, uint64_t version,
                   const std::function<InflightCounter(uint64_t)>& counterFor);
  EndpointSnapshot(const EndpointSnapshot&) = delete;
  EndpointSnapshot& operator=(const EndpointSnapshot&) = delete;

  uint64_t version() const { return version_; }
  size_t size() const { return entries_.size(); }
  const EndpointState& state(size_t i) const { return entries_[i]->state; }
  const epp_endpoint_view* view(size_t i) const { return &entries_[i]->view; }
  // Every endpoint, in source order.
  const epp_endpoint_list& all() const { return all_; }
  // Index of the endpoint with this "ip:port", or -1.
  int find(std::string_view hostPort) const;
  int findById(uint64_t id) const;

  // Live in-flight count (the views carry its value as of the snapshot's build, like the
  // scraped metrics, so plugins read a consistent snapshot).
  void addInflight(size_t i, int64_t delta) const { entries_[i]->inflight->fetch_add(delta); }
  int64_t inflight(size_t i) const { return entries_[i]->inflight->load(); }

 private:
  struct Entry {
    EndpointState state;
    std::string hostPort;
    std::vector<epp_kv> labels;
    std::vector<epp_str> active;
    std::vector<epp_str> waiting;
    InflightCounter inflight;
    epp_endpoint_view view{};
  };
  uint64_t version_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<const epp_endpoint_view*> pointers_;
  epp_endpoint_list all_{nullptr, 0};
  std::map<std::string, int, std::less<>> byHostPort_;
  std::unordered_map<uint64_t, int> byId_;
};

using EndpointSnapshotPtr = std::shared_ptr<const EndpointSnapshot>;

// Holds the current snapshot; readers take a reference, writers publish a new one.
class EndpointStore {
 public:
  EndpointStore();
  EndpointSnapshotPtr current() const;
  // Replaces the whole endpoint set; in-flight counts carry over by id.
  void replace(std::vector<EndpointState> states);
  // Called with every snapshot published from now on, on the publishing thread (writers
  // are serialised): views derived from the endpoint set, such as the pool gauges, follow
  // it without polling. Set it before the store has other writers.
  void setPublishListener(std::function<void(const EndpointSnapshot&)> listener) {
    std::lock_guard<std::mutex> writer(writeMutex_);
    listener_ = std::move(listener);
  }
  // Copies the current states, lets `edit` change them and publishes the result. Returns
  // what `edit` returned (false: nothing published).
  template <class F>
  bool update(F&& edit) {
    std::lock_guard<std::mutex> writer(writeMutex_);
    auto cur = current();
    std::vector<EndpointState> states;
    states.reserve(cur->size());
    for (size_t i = 0; i < cur->size(); ++i) states.push_back(cur->state(i));
    if (!edit(states)) return false;
    publish(std::move(states));
    return true;
  }

 private:
  void publish(std::vector<EndpointState> states);
  mutable std::mutex mutex_;  // guards current_ (a shared_ptr copy is not atomic)
  std::mutex writeMutex_;     // serialises writers
  EndpointSnapshotPtr current_;
  uint64_t nextVersion_ = 1;
  std::unordered_map<uint64_t, InflightCounter> counters_;  // by endpoint id; writers only
  std::function<void(const EndpointSnapshot&)> listener_;   // writers only
};

}  // namespace epp::datalayer

// File: host/datalayer/metrics_scraper.h
//
// Polls every scraped endpoint's metrics (and, less often, its health) through the
// backend adapter of its engine, and publishes the results into the EndpointStore, where
// the request path reads them from the next snapshot on.
//
// One thread runs one Asio io_context; each endpoint's collection is a coroutine on it
// (no thread per endpoint), over a kept-alive HTTP/1.1 connection (Boost.Beast). Every
// `interval` a tick starts a collection for each endpoint that has none in flight: a slow
// endpoint skips ticks instead of piling requests up. A collection (connect, /metrics,
// /health when due) is bounded by `timeout` as a whole. Results are published in batches:
// when every collection of a round has ended, or at the next tick, so a hundred
// endpoints cost one snapshot per round, not a hundred.
//
// The endpoint set and the setup (timings, adapters) are read afresh at every tick, so
// endpoint sources and config reloads take effect without restarting the scraper.
// Endpoints with `scrape: false` or with state set by hand (POST /endpoints/state) are
// never polled, and their state is never overwritten.
#pragma once

#include <memory>
#include <thread>

#include "host/datalayer/endpoint_snapshot.h"
#include "host/datalayer/scrape_setup.h"

namespace epp::datalayer {

class MetricsScraper {
 public:
  MetricsScraper(EndpointStore& store, ScrapeSetupSource setup);
  ~MetricsScraper();
  MetricsScraper(const MetricsScraper&) = delete;
  MetricsScraper& operator=(const MetricsScraper&) = delete;

  void start();
  // Stops polling; collections in flight are abandoned. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace epp::datalayer

// File: host/datalayer/scrape_metrics.h
//
// The scraper's own Prometheus metrics:
//   eppd_endpoint_scrapes_total{endpoint,pool,result}          every collection, success or
//                                                              failure
//   eppd_endpoint_scrape_failures_total{endpoint,pool,reason}  failures by reason (connect,
//                                                              tls, timeout, http-status,
//                                                              body-too-large, parse, empty,
//                                                              no-adapter, …)
//   eppd_endpoint_scrape_duration_seconds                      collection latency
// An endpoint's series are removed when it leaves, so the label set follows the fleet.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace epp::datalayer {

class ScrapeMetrics {
 public:
  static ScrapeMetrics& get();
  void collected(const std::string& endpoint, const std::string& pool, bool ok,
                 const std::string& reason, double seconds);
  // Drops every series of this endpoint.
  void forget(const std::string& endpoint, const std::string& pool);

 private:
  ScrapeMetrics();
  std::mutex mutex_;
  prometheus::Family<prometheus::Counter>& scrapes_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Histogram& duration_;
  // (endpoint, pool) -> series created for it
  std::map<std::pair<std::string, std::string>, std::map<std::string, prometheus::Counter*>>
      scrapeSeries_, failureSeries_;
};

}  // namespace epp::datalayer

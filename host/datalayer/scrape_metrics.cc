#include "host/datalayer/scrape_metrics.h"

#include <prometheus/histogram.h>

#include "host/common/metrics_registry.h"

namespace epp::datalayer {

ScrapeMetrics& ScrapeMetrics::get() {
  static ScrapeMetrics* metrics = new ScrapeMetrics();  // never destroyed: used at exit
  return *metrics;
}

ScrapeMetrics::ScrapeMetrics()
    : scrapes_(prometheus::BuildCounter()
                   .Name("eppd_endpoint_scrapes_total")
                   .Help("Metric collections per endpoint, by result (success, failure)")
                   .Register(common::metricsRegistry())),
      failures_(prometheus::BuildCounter()
                    .Name("eppd_endpoint_scrape_failures_total")
                    .Help("Failed metric collections per endpoint, by reason")
                    .Register(common::metricsRegistry())),
      duration_(prometheus::BuildHistogram()
                    .Name("eppd_endpoint_scrape_duration_seconds")
                    .Help("Time to collect one endpoint's metrics (and health)")
                    .Register(common::metricsRegistry())
                    .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005,
                                                                     0.01, 0.025, 0.05, 0.1, 0.25,
                                                                     0.5, 1, 2.5})) {}

void ScrapeMetrics::collected(const std::string& endpoint, const std::string& pool, bool ok,
                              const std::string& reason, double seconds) {
  std::lock_guard lock(mutex_);
  auto key = std::make_pair(endpoint, pool);
  const std::string result = ok ? "success" : "failure";
  auto& scrapes = scrapeSeries_[key];
  auto [it, added] = scrapes.try_emplace(result, nullptr);
  if (added) {
    it->second = &scrapes_.Add({{"endpoint", endpoint}, {"pool", pool}, {"result", result}});
  }
  it->second->Increment();
  if (!ok) {
    auto& failures = failureSeries_[key];
    auto [f, fresh] = failures.try_emplace(reason, nullptr);
    if (fresh) {
      f->second = &failures_.Add({{"endpoint", endpoint}, {"pool", pool}, {"reason", reason}});
    }
    f->second->Increment();
  }
  duration_.Observe(seconds);
}

void ScrapeMetrics::forget(const std::string& endpoint, const std::string& pool) {
  std::lock_guard lock(mutex_);
  auto key = std::make_pair(endpoint, pool);
  for (auto& [_, c] : scrapeSeries_[key]) scrapes_.Remove(c);
  for (auto& [_, c] : failureSeries_[key]) failures_.Remove(c);
  scrapeSeries_.erase(key);
  failureSeries_.erase(key);
}

}  // namespace epp::datalayer

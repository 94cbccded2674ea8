// File: host/datalayer/kv_events/kv_event_metrics.cc
#include "host/datalayer/kv_events/kv_event_metrics.h"

#include "host/common/metrics_registry.h"

namespace epp::datalayer {
namespace {

prometheus::Family<prometheus::Counter>& counter(const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(common::metricsRegistry());
}

}  // namespace

KvEventMetrics& KvEventMetrics::get() {
  static KvEventMetrics* metrics = new KvEventMetrics();  // never destroyed: used at exit
  return *metrics;
}

KvEventMetrics::KvEventMetrics()
    : batches_(counter("eppd_kv_event_batches_total",
                       "KV-cache event batches delivered to plugins, per endpoint")),
      events_(counter("eppd_kv_events_total", "KV-cache events delivered, per endpoint")),
      resyncs_(counter("eppd_kv_event_resyncs_total",
                       "Batches delivered with a resync (the endpoint's cache state restarts)")),
      gaps_(counter("eppd_kv_event_sequence_gaps_total",
                    "KV-event sequence numbers that skipped or went back, per endpoint")),
      badMessages_(counter("eppd_kv_event_bad_messages_total",
                           "KV-event messages dropped whole, by reason (frames, decode)")),
      skipped_(counter("eppd_kv_event_skipped_events_total",
                       "Events skipped inside decoded batches, by reason (unknown, malformed)")) {}

prometheus::Counter& KvEventMetrics::series(prometheus::Family<prometheus::Counter>& family,
                                            const std::string& endpoint,
                                            const std::string& reason) {
  // Family::Add returns the existing series for known labels, so this is a lookup after the
  // first call; the mutex keeps forget() from racing an Add.
  if (reason.empty()) return family.Add({{"endpoint", endpoint}});
  return family.Add({{"endpoint", endpoint}, {"reason", reason}});
}

void KvEventMetrics::batch(const std::string& endpoint, size_t events, bool resync) {
  std::lock_guard lock(mutex_);
  series(batches_, endpoint).Increment();
  series(events_, endpoint).Increment(static_cast<double>(events));
  if (resync) series(resyncs_, endpoint).Increment();
}

void KvEventMetrics::gap(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  series(gaps_, endpoint).Increment();
}

void KvEventMetrics::badMessage(const std::string& endpoint, const std::string& reason) {
  std::lock_guard lock(mutex_);
  series(badMessages_, endpoint, reason).Increment();
}

void KvEventMetrics::skippedEvents(const std::string& endpoint, size_t unknown, size_t malformed) {
  std::lock_guard lock(mutex_);
  if (unknown > 0) series(skipped_, endpoint, "unknown").Increment(static_cast<double>(unknown));
  if (malformed > 0) {
    series(skipped_, endpoint, "malformed").Increment(static_cast<double>(malformed));
  }
}

void KvEventMetrics::forget(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  for (auto* family : {&batches_, &events_, &resyncs_, &gaps_}) {
    if (family->Has({{"endpoint", endpoint}}))
      family->Remove(&family->Add({{"endpoint", endpoint}}));
  }
  for (auto* family : {&badMessages_, &skipped_}) {
    for (const char* reason : {"frames", "decode", "unknown", "malformed"}) {
      prometheus::Labels labels{{"endpoint", endpoint}, {"reason", reason}};
      if (family->Has(labels)) family->Remove(&family->Add(labels));
    }
  }
}

}  // namespace epp::datalayer

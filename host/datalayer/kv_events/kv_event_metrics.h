// File: host/datalayer/kv_events/kv_event_metrics.h
//
// Prometheus metrics of the KV-event subscriber, per publishing endpoint:
//   eppd_kv_event_batches_total{endpoint}                 batches delivered to plugins
//   eppd_kv_events_total{endpoint}                        events in them
//   eppd_kv_event_resyncs_total{endpoint}                 batches delivered with a resync
//   eppd_kv_event_sequence_gaps_total{endpoint}           lost or restarted sequences
//   eppd_kv_event_bad_messages_total{endpoint,reason}     frames (wrong framing), decode
//   eppd_kv_event_skipped_events_total{endpoint,reason}   unknown (tag), malformed
// An endpoint's series go when it stops being followed.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <cstdint>
#include <mutex>
#include <string>

namespace epp::datalayer {

class KvEventMetrics {
 public:
  static KvEventMetrics& get();
  void batch(const std::string& endpoint, size_t events, bool resync);
  void gap(const std::string& endpoint);
  void badMessage(const std::string& endpoint, const std::string& reason);
  void skippedEvents(const std::string& endpoint, size_t unknown, size_t malformed);
  void forget(const std::string& endpoint);

 private:
  KvEventMetrics();
  prometheus::Counter& series(prometheus::Family<prometheus::Counter>& family,
                              const std::string& endpoint, const std::string& reason = {});
  std::mutex mutex_;
  prometheus::Family<prometheus::Counter>& batches_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& resyncs_;
  prometheus::Family<prometheus::Counter>& gaps_;
  prometheus::Family<prometheus::Counter>& badMessages_;
  prometheus::Family<prometheus::Counter>& skipped_;
};

}  // namespace epp::datalayer

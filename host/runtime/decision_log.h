// File: host/runtime/decision_log.h
//
// The last N scheduling decisions, for /decisions: what was asked, what each filter,
// tree node and scorer did, what was picked and why a request failed. Recording is
// cheap (a move into a ring under a short lock); rendering happens on the admin thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "host/routing/routing_record.h"
#include "host/scheduling/scheduler.h"

namespace epp::runtime {

// What admission decided for one request (absent: the detector was not asked).
struct AdmissionRecord {
  std::string outcome;    // "unsaturated", "rejected", "failed-open"
  std::string detector;   // instance name
  double saturation = 0;  // when the detector answered
  std::string error;      // when it failed
};

// What flow control did with a request that waited in its queues.
struct QueueRecord {
  std::string outcome;  // "Dispatched", "RejectedCapacity", "EvictedTTL", …
  std::string fairnessId;
  int32_t band = 0;  // the priority band it waited in
  int64_t waitNs = 0;
  std::string detail;  // why it left (a limit, the TTL, a disconnect), when not dispatched
};

// The prompt's token ids asked of a model server (`tokenization:`).
struct TokenizeRecord {
  std::string endpoint;
  std::string outcome;  // ok, timeout, connect, status, body
  size_t tokens = 0;
  double ms = 0;
};

struct DecisionRecord {
  std::string requestId;
  std::string model;
  std::string targetModel;
  std::string objective;  // x-gateway-inference-objective, as sent ("" when absent)
  int32_t priority = 0;
  // x-slo-ttft-ms / x-slo-tpot-ms as sent (slo.h); unset when absent or malformed.
  std::optional<double> sloTtftMs;
  std::optional<double> sloTpotMs;
  std::optional<TokenizeRecord> tokenize;
  std::optional<AdmissionRecord> admission;
  std::optional<QueueRecord> queue;
  // Model routing (absent when the request never got that far).
  std::optional<routing::RoutingRecord> routing;
  int64_t wallMs = 0;
  uint64_t configGeneration = 0;
  int httpStatus = 0;  // 0 routed, else the error status sent
  std::string error;
  std::string primaryProfile;
  std::vector<std::string> picks;  // primary first, then fallbacks
  std::vector<scheduling::ProfileTrace> profiles;
  std::vector<scheduling::PluginFault> faults;
  int64_t schedulingNs = 0;
};

class DecisionLog {
 public:
  explicit DecisionLog(size_t capacity) : capacity_(capacity) {}
  bool enabled() const { return capacity_ > 0; }
  void add(DecisionRecord record);
  // The newest `n` records, newest first.
  std::vector<DecisionRecord> last(size_t n) const;

 private:
  size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<DecisionRecord> ring_;  // up to capacity_; once full, next_ is the oldest
  size_t next_ = 0;
};

}  // namespace epp::runtime

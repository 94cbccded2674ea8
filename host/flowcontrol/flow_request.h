// File: host/flowcontrol/flow_request.h
//
// A request as flow control sees it (its flow key, size, and the view ordering policies
// read), and the two ways it leaves a queue: dispatched to scheduling, or rejected with an
// outcome. The request path implements FlowRequest; flow control calls exactly one of
// dispatch() or reject(), once, never under its own locks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "epp/abi.h"
#include "host/common/cancel_signal.h"

namespace epp::flowcontrol {

inline constexpr char kFairnessHeader[] = "x-gateway-inference-fairness-id";
inline constexpr char kDefaultFairnessId[] = "default-flow";

// How a request left flow control; the reference's QueueOutcome names label the metrics.
enum class QueueOutcome {
  kDispatched,
  kRejectedCapacity,  // band or global limit reached at enqueue: 429
  kRejectedOther,     // refused at enqueue for another reason (no policy): 500
  kEvictedTtl,        // waited past its TTL: 503
  kEvictedCancelled,  // the client went away while queued: 503
  kEvictedOther,      // eppd is shutting down: 503
};

// "Dispatched", "RejectedCapacity", "RejectedOther", "EvictedTTL",
// "EvictedContextCancelled", "EvictedOther".
const char* outcomeLabel(QueueOutcome outcome);
// eppd's rejection reason: "capacity", "other", "ttl", "cancelled", "shutdown".
const char* rejectionReason(QueueOutcome outcome);
// The HTTP status, error code and message the client gets for a non-dispatch outcome.
struct QueueError {
  int status;
  const char* code;
  const char* message;
};
QueueError queueError(QueueOutcome outcome);

struct FlowKey {
  std::string fairnessId = kDefaultFairnessId;
  int32_t priority = 0;
};

struct FlowRequestInfo {
  std::string requestId;
  FlowKey key;
  int64_t byteSize = 0;  // what the request holds in the queue: its body
  // What ordering policies compare; valid until the request leaves flow control.
  const epp_request_view* view = nullptr;
  // Metric labels.
  std::string modelName;
  std::string targetModelName;
  std::string pool = "default";
  // Set by the transport when the client goes away.
  std::shared_ptr<common::CancelSignal> cancel;
};

struct QueueExit {
  QueueOutcome outcome = QueueOutcome::kDispatched;
  int64_t waitNs = 0;        // enqueue to this exit
  std::string detail;        // why, for the log and the decision record
  int32_t bandPriority = 0;  // the band it waited in
};

class FlowRequest {
 public:
  virtual ~FlowRequest() = default;
  // Runs the rest of the request path (scheduling) and answers the client.
  virtual void dispatch(const QueueExit& exit) = 0;
  // Answers the client with the outcome's error.
  virtual void reject(const QueueExit& exit) = 0;
};

}  // namespace epp::flowcontrol

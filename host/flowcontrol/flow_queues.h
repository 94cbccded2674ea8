// File: host/flowcontrol/flow_queues.h
//
// The queue structure of flow control, without threads or clocks of its own (callers pass
// the time), so it is tested step by step:
//
//   bands, highest priority first (strict: a lower band waits while a higher one has work)
//     └ flows of a band, one per fairness id; the band's fairness policy picks the flow
//         └ the flow's requests; the band's ordering policy picks the request: a FIFO list
//           when the policy asks for EPP_QUEUE_CAP_FIFO, an indexed heap on its `less`
//           otherwise (so any request can be removed in O(log n) when it expires or its
//           client goes away)
//
// Limits are checked at enqueue: the band's maxRequests / maxBytes and the global ones.
// Requests with a TTL sit in a deadline index as well. Policies and limits come from the
// FlowControlConfig passed to configure(); a new config re-resolves every band (a changed
// ordering policy re-sorts its flows, a changed fairness policy gets new band state), and
// the requests stay queued. Not thread-safe: FlowController serialises every call.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/flowcontrol/flow_control_config.h"
#include "host/flowcontrol/flow_request.h"

namespace epp::flowcontrol {

struct FlowSeries;  // the metric series of an item's labels (flowcontrol_metrics.h)
class Flow;

// One queued request.
struct QueuedItem {
  std::unique_ptr<FlowRequest> request;
  FlowRequestInfo info;
  epp_queued_request queued{};  // what ordering and fairness policies see
  Flow* flow = nullptr;
  const FlowSeries* series = nullptr;
  // FIFO list links, or the position in the heap.
  QueuedItem* prev = nullptr;
  QueuedItem* next = nullptr;
  size_t heapIndex = 0;

  uint64_t id() const { return queued.sequence; }
};

// The requests of one flow in its band's order.
class FlowQueue {
 public:
  FlowQueue(const loader::PluginInstance* ordering, bool fifo) : ordering_(ordering), fifo_(fifo) {}
  FlowQueue(const FlowQueue&) = delete;
  FlowQueue& operator=(const FlowQueue&) = delete;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  QueuedItem* head() const;
  void push(QueuedItem* item);
  void erase(QueuedItem* item);
  // Switches to another policy, re-sorting what is queued.
  void reorder(const loader::PluginInstance* ordering, bool fifo);
  const loader::PluginInstance* ordering() const { return ordering_; }

 private:
  bool less(const QueuedItem* a, const QueuedItem* b) const;
  void siftUp(size_t i);
  void siftDown(size_t i);
  void place(size_t i, QueuedItem* item);

  const loader::PluginInstance* ordering_;
  bool fifo_;
  size_t size_ = 0;
  QueuedItem* first_ = nullptr;  // FIFO
  QueuedItem* last_ = nullptr;
  std::vector<QueuedItem*> heap_;
};

class Flow {
 public:
  Flow(std::string fairnessId, int32_t priority, const BandConfig& band);
  const std::string& fairnessId() const { return fairnessId_; }
  FlowQueue& queue() { return queue_; }
  const FlowQueue& queue() const { return queue_; }
  int64_t bytes() const { return bytes_; }
  // The view a fairness policy sees, current as of this call.
  const epp_flow_view* view();
  void added(const QueuedItem& item);
  void removed(const QueuedItem& item);
  void dispatched(int64_t nowNs);
  uint64_t dispatchedTotal() const { return view_.dispatched_total; }
  int64_t lastActiveNs() const { return lastActiveNs_; }
  void touch(int64_t nowNs) { lastActiveNs_ = nowNs; }

 private:
  std::string fairnessId_;
  FlowQueue queue_;
  int64_t bytes_ = 0;
  epp_flow_view view_{};
  int64_t lastActiveNs_ = 0;
};

// Per band and flow, what is queued (for /admin and tests).
struct FlowStats {
  std::string fairnessId;
  size_t queued = 0;
  int64_t bytes = 0;
  uint64_t dispatched = 0;
};
struct BandStats {
  int32_t priority = 0;
  size_t queued = 0;
  int64_t bytes = 0;
  int64_t maxBytes = 0;
  int64_t maxRequests = 0;
  double saturationCeiling = 1.0;
  std::string fairness;
  std::string ordering;
  std::vector<FlowStats> flows;
};

class FlowQueues {
 public:
  FlowQueues() = default;
  ~FlowQueues();
  FlowQueues(const FlowQueues&) = delete;
  FlowQueues& operator=(const FlowQueues&) = delete;

  // Applies a config (the first one, or a reload's). The pointer keeps its instances alive
  // for as long as the queues use them.
  void configure(std::shared_ptr<const FlowControlConfig> config);
  const FlowControlConfig* config() const { return config_.get(); }

  // Queues `request`, or leaves it with the caller and says why not (a limit reached).
  // The TTL is the config's defaultRequestTTL.
  struct Enqueued {
    QueuedItem* item = nullptr;                              // null: refused
    std::string refusal;                                     // why, when refused
    QueueOutcome outcome = QueueOutcome::kRejectedCapacity;  // when refused
  };
  Enqueued enqueue(std::unique_ptr<FlowRequest>& request, FlowRequestInfo info, int64_t nowNs);

  // Takes the request that dispatches next: highest non-empty band, the flow its fairness
  // policy picks, that flow's head. A fairness policy that fails (error status, index out
  // of range) is overruled by the oldest head, and `fault` says what it did.
  std::unique_ptr<QueuedItem> popNext(int64_t nowNs, std::string* fault = nullptr);
  // The band popNext takes from (the highest non-empty one), or null when all are empty.
  const BandConfig* nextBand() const;
  // Takes one request out (its client went away); null when it is no longer queued.
  std::unique_ptr<QueuedItem> remove(uint64_t id);
  // Takes every request whose deadline is at or before `nowNs`, earliest first.
  std::vector<std::unique_ptr<QueuedItem>> expire(int64_t nowNs);
  // Takes everything (shutdown).
  std::vector<std::unique_ptr<QueuedItem>> drain();
  // Forgets empty flows idle for `idleNs` (their dispatch counters go with them).
  void collectIdleFlows(int64_t nowNs, int64_t idleNs);

  size_t size() const { return count_; }
  int64_t bytes() const { return bytes_; }
  // The earliest deadline queued, or INT64_MAX.
  int64_t nextDeadlineNs() const;
  std::vector<BandStats> stats() const;

 private:
  struct Band {
    BandConfig config;
    std::map<std::string, std::unique_ptr<Flow>, std::less<>> flows;
    size_t count = 0;
    int64_t bytes = 0;
    // Fairness band state and the instance that made it (destroyed by that instance).
    epp_band_state_plugin_ptr state = nullptr;
    const loader::PluginInstance* stateOwner = nullptr;
  };

  Band& band(int32_t priority);
  void bindFairness(Band& band);
  void releaseFairness(Band& band);
  std::unique_ptr<QueuedItem> take(QueuedItem* item);
  Flow* pickFlow(Band& band, std::string* fault);

  std::shared_ptr<const FlowControlConfig> config_;
  std::map<int32_t, Band, std::greater<>> bands_;  // highest priority first
  std::unordered_map<uint64_t, std::unique_ptr<QueuedItem>> items_;
  std::set<std::pair<int64_t, uint64_t>> deadlines_;  // (deadline, id) of items with a TTL
  std::vector<const epp_flow_view*> flowViews_;       // scratch for pickFlow
  std::vector<Flow*> flowPtrs_;
  uint64_t nextSequence_ = 1;
  size_t count_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace epp::flowcontrol

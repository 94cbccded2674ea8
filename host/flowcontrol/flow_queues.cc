#include "host/flowcontrol/flow_queues.h"

#include <fmt/format.h>

#include <algorithm>

namespace epp::flowcontrol {

// ---- FlowQueue ---------------------------------------------------------------------------

bool FlowQueue::less(const QueuedItem* a, const QueuedItem* b) const {
  return ordering_->type().ordering_policy->less(ordering_->pluginPtr(), &a->queued, &b->queued);
}

QueuedItem* FlowQueue::head() const {
  if (fifo_) return first_;
  return heap_.empty() ? nullptr : heap_.front();
}

void FlowQueue::place(size_t i, QueuedItem* item) {
  heap_[i] = item;
  item->heapIndex = i;
}

void FlowQueue::siftUp(size_t i) {
  QueuedItem* item = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!less(item, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, item);
}

void FlowQueue::siftDown(size_t i) {
  QueuedItem* item = heap_[i];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && less(heap_[child + 1], heap_[child])) ++child;
    if (!less(heap_[child], item)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, item);
}

void FlowQueue::push(QueuedItem* item) {
  ++size_;
  if (fifo_) {
    item->prev = last_;
    item->next = nullptr;
    if (last_ != nullptr) {
      last_->next = item;
    } else {
      first_ = item;
    }
    last_ = item;
    return;
  }
  heap_.push_back(item);
  item->heapIndex = heap_.size() - 1;
  siftUp(item->heapIndex);
}

void FlowQueue::erase(QueuedItem* item) {
  --size_;
  if (fifo_) {
    (item->prev != nullptr ? item->prev->next : first_) = item->next;
    (item->next != nullptr ? item->next->prev : last_) = item->prev;
    item->prev = item->next = nullptr;
    return;
  }
  size_t i = item->heapIndex;
  QueuedItem* moved = heap_.back();
  heap_.pop_back();
  if (moved == item) return;
  place(i, moved);
  // The replacement may belong above or below the hole.
  if (i > 0 && less(moved, heap_[(i - 1) / 2])) {
    siftUp(i);
  } else {
    siftDown(i);
  }
}

void FlowQueue::reorder(const loader::PluginInstance* ordering, bool fifo) {
  if (ordering == nullptr) return;  // flow control turned off: the queue drains as it is
  std::vector<QueuedItem*> items;
  items.reserve(size_);
  for (QueuedItem* i = first_; i != nullptr; i = i->next) items.push_back(i);
  items.insert(items.end(), heap_.begin(), heap_.end());
  // Arrival order first: a FIFO list is built in it, and equal heap keys keep it.
  std::sort(items.begin(), items.end(),
            [](const QueuedItem* a, const QueuedItem* b) { return a->id() < b->id(); });
  ordering_ = ordering;
  fifo_ = fifo;
  first_ = last_ = nullptr;
  heap_.clear();
  size_ = 0;
  for (QueuedItem* i : items) push(i);
}

// ---- Flow --------------------------------------------------------------------------------

Flow::Flow(std::string fairnessId, int32_t priority, const BandConfig& band)
    : fairnessId_(std::move(fairnessId)), queue_(band.ordering, band.fifo) {
  view_.struct_size = sizeof view_;
  view_.priority = priority;
}

const epp_flow_view* Flow::view() {
  view_.fairness_id = {fairnessId_.data(), fairnessId_.size()};
  view_.queued_count = queue_.size();
  view_.queued_bytes = bytes_;
  QueuedItem* head = queue_.head();
  view_.head = head != nullptr ? &head->queued : nullptr;
  return &view_;
}

void Flow::added(const QueuedItem& item) { bytes_ += item.queued.byte_size; }

void Flow::removed(const QueuedItem& item) { bytes_ -= item.queued.byte_size; }

void Flow::dispatched(int64_t nowNs) {
  view_.last_dispatch_ns = nowNs;
  ++view_.dispatched_total;
}

// ---- FlowQueues --------------------------------------------------------------------------

FlowQueues::~FlowQueues() {
  for (auto& [priority, band] : bands_) releaseFairness(band);
}

void FlowQueues::bindFairness(Band& band) {
  const loader::PluginInstance* fairness = band.config.fairness;
  if (band.stateOwner == fairness && fairness != nullptr) return;
  releaseFairness(band);
  if (fairness == nullptr) return;
  band.stateOwner = fairness;
  if (auto make = fairness->type().fairness_policy->band_state_new) {
    band.state = make(fairness->pluginPtr(), band.config.priority);
  }
}

void FlowQueues::releaseFairness(Band& band) {
  if (band.stateOwner != nullptr && band.state != nullptr) {
    if (auto destroy = band.stateOwner->type().fairness_policy->band_state_destroy) {
      destroy(band.stateOwner->pluginPtr(), band.state);
    }
  }
  band.state = nullptr;
  band.stateOwner = nullptr;
}

void FlowQueues::configure(std::shared_ptr<const FlowControlConfig> config) {
  if (config == config_) return;
  // The old config's instances must outlive their band states.
  std::shared_ptr<const FlowControlConfig> previous = std::move(config_);
  config_ = std::move(config);
  for (auto& [priority, band] : bands_) {
    band.config = config_->bandFor(priority);
    bindFairness(band);
    for (auto& [id, flow] : band.flows) {
      if (flow->queue().ordering() != band.config.ordering) {
        flow->queue().reorder(band.config.ordering, band.config.fifo);
      }
    }
  }
}

FlowQueues::Band& FlowQueues::band(int32_t priority) {
  auto it = bands_.find(priority);
  if (it != bands_.end()) return it->second;
  Band& b = bands_[priority];
  b.config = config_->bandFor(priority);
  bindFairness(b);
  return b;
}

FlowQueues::Enqueued FlowQueues::enqueue(std::unique_ptr<FlowRequest>& request,
                                         FlowRequestInfo info, int64_t nowNs) {
  Enqueued out;
  const FlowControlConfig& cfg = *config_;
  const int64_t size = info.byteSize;
  Band& b = band(info.key.priority);
  if (b.config.ordering == nullptr || b.config.fairness == nullptr) {
    out.refusal = fmt::format("band {} has no ordering or fairness policy", b.config.priority);
    out.outcome = QueueOutcome::kRejectedOther;
    return out;
  }
  if (b.config.maxRequests > 0 && static_cast<int64_t>(b.count) + 1 > b.config.maxRequests) {
    out.refusal = fmt::format("band {} holds {} requests (maxRequests {})", b.config.priority,
                              b.count, b.config.maxRequests);
    return out;
  }
  if (b.config.maxBytes > 0 && b.bytes + size > b.config.maxBytes) {
    out.refusal = fmt::format("band {} holds {} bytes, {} more exceed maxBytes {}",
                              b.config.priority, b.bytes, size, b.config.maxBytes);
    return out;
  }
  if (cfg.maxRequests > 0 && static_cast<int64_t>(count_) + 1 > cfg.maxRequests) {
    out.refusal =
        fmt::format("{} requests queued (flowControl.maxRequests {})", count_, cfg.maxRequests);
    return out;
  }
  if (cfg.maxBytes > 0 && bytes_ + size > cfg.maxBytes) {
    out.refusal = fmt::format("{} bytes queued, {} more exceed flowControl.maxBytes {}", bytes_,
                              size, cfg.maxBytes);
    return out;
  }

  auto item = std::make_unique<QueuedItem>();
  item->request = std::move(request);
  item->queued.struct_size = sizeof item->queued;
  item->queued.priority = info.key.priority;
  item->queued.request = info.view;
  item->queued.sequence = nextSequence_++;
  item->queued.enqueued_ns = nowNs;
  item->queued.deadline_ns = cfg.defaultTtlNs > 0 && nowNs <= INT64_MAX - cfg.defaultTtlNs
                                 ? nowNs + cfg.defaultTtlNs
                                 : INT64_MAX;
  item->queued.byte_size = size;
  auto flowIt = b.flows.find(info.key.fairnessId);
  if (flowIt == b.flows.end()) {
    flowIt = b.flows
                 .emplace(info.key.fairnessId,
                          std::make_unique<Flow>(info.key.fairnessId, b.config.priority, b.config))
                 .first;
  }
  Flow* flow = flowIt->second.get();
  item->flow = flow;
  item->info = std::move(info);
  flow->touch(nowNs);
  flow->queue().push(item.get());
  flow->added(*item);
  ++b.count;
  b.bytes += size;
  ++count_;
  bytes_ += size;
  if (item->queued.deadline_ns != INT64_MAX) {
    deadlines_.emplace(item->queued.deadline_ns, item->id());
  }
  out.item = item.get();
  uint64_t id = item->id();
  items_.emplace(id, std::move(item));
  return out;
}

std::unique_ptr<QueuedItem> FlowQueues::take(QueuedItem* item) {
  Flow* flow = item->flow;
  Band& b = bands_.at(item->queued.priority);
  flow->queue().erase(item);
  flow->removed(*item);
  --b.count;
  b.bytes -= item->queued.byte_size;
  --count_;
  bytes_ -= item->queued.byte_size;
  if (item->queued.deadline_ns != INT64_MAX) {
    deadlines_.erase({item->queued.deadline_ns, item->id()});
  }
  auto it = items_.find(item->id());
  std::unique_ptr<QueuedItem> owned = std::move(it->second);
  items_.erase(it);
  return owned;
}

Flow* FlowQueues::pickFlow(Band& b, std::string* fault) {
  flowViews_.clear();
  flowPtrs_.clear();
  for (auto& [id, flow] : b.flows) {
    if (flow->queue().empty()) continue;
    flowPtrs_.push_back(flow.get());
    flowViews_.push_back(flow->view());
  }
  if (const loader::PluginInstance* fairness = b.config.fairness) {
    uint32_t picked = 0;
    epp_status status = fairness->type().fairness_policy->pick_flow(
        fairness->pluginPtr(), b.state, flowViews_.data(), flowViews_.size(), &picked);
    if (status == EPP_OK && picked < flowPtrs_.size()) return flowPtrs_[picked];
    if (fault != nullptr) {
      *fault = status != EPP_OK
                   ? fmt::format("pick_flow failed with status {}", status)
                   : fmt::format("pick_flow picked {} of {} flows", picked, flowPtrs_.size());
    }
  }
  // Overruled: the flow whose head arrived first (global strict).
  Flow* oldest = flowPtrs_.front();
  for (Flow* f : flowPtrs_) {
    if (f->queue().head()->id() < oldest->queue().head()->id()) oldest = f;
  }
  return oldest;
}

std::unique_ptr<QueuedItem> FlowQueues::popNext(int64_t nowNs, std::string* fault) {
  for (auto& [priority, b] : bands_) {
    if (b.count == 0) continue;
    Flow* flow = pickFlow(b, fault);
    QueuedItem* head = flow->queue().head();
    flow->dispatched(nowNs);
    flow->touch(nowNs);
    return take(head);
  }
  return nullptr;
}

const BandConfig* FlowQueues::nextBand() const {
  for (const auto& [priority, b] : bands_) {
    if (b.count != 0) return &b.config;
  }
  return nullptr;
}

std::unique_ptr<QueuedItem> FlowQueues::remove(uint64_t id) {
  auto it = items_.find(id);
  if (it == items_.end()) return nullptr;
  return take(it->second.get());
}

std::vector<std::unique_ptr<QueuedItem>> FlowQueues::expire(int64_t nowNs) {
  std::vector<std::unique_ptr<QueuedItem>> out;
  while (!deadlines_.empty() && deadlines_.begin()->first <= nowNs) {
    uint64_t id = deadlines_.begin()->second;
    out.push_back(take(items_.at(id).get()));
  }
  return out;
}

std::vector<std::unique_ptr<QueuedItem>> FlowQueues::drain() {
  std::vector<QueuedItem*> all;
  all.reserve(items_.size());
  for (auto& [id, item] : items_) all.push_back(item.get());
  std::sort(all.begin(), all.end(),
            [](const QueuedItem* a, const QueuedItem* b) { return a->id() < b->id(); });
  std::vector<std::unique_ptr<QueuedItem>> out;
  out.reserve(all.size());
  for (QueuedItem* item : all) out.push_back(take(item));
  return out;
}

void FlowQueues::collectIdleFlows(int64_t nowNs, int64_t idleNs) {
  for (auto& [priority, b] : bands_) {
    std::erase_if(b.flows, [&](const auto& entry) {
      const Flow& f = *entry.second;
      return f.queue().empty() && nowNs - f.lastActiveNs() >= idleNs;
    });
  }
}

int64_t FlowQueues::nextDeadlineNs() const {
  return deadlines_.empty() ? INT64_MAX : deadlines_.begin()->first;
}

std::vector<BandStats> FlowQueues::stats() const {
  std::vector<BandStats> out;
  for (const auto& [priority, b] : bands_) {
    BandStats s;
    s.priority = priority;
    s.queued = b.count;
    s.bytes = b.bytes;
    s.maxBytes = b.config.maxBytes;
    s.maxRequests = b.config.maxRequests;
    s.saturationCeiling = b.config.saturationCeiling;
    if (b.config.fairness != nullptr) s.fairness = b.config.fairness->name();
    if (b.config.ordering != nullptr) s.ordering = b.config.ordering->name();
    for (const auto& [id, flow] : b.flows) {
      FlowStats f;
      f.fairnessId = id;
      f.queued = flow->queue().size();
      f.bytes = flow->bytes();
      f.dispatched = flow->dispatchedTotal();
      s.flows.push_back(std::move(f));
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace epp::flowcontrol

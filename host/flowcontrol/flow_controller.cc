#include "host/flowcontrol/flow_controller.h"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "host/common/clock.h"
#include "host/common/logging.h"
#include "host/flowcontrol/flowcontrol_metrics.h"

namespace epp::flowcontrol {
namespace {

constexpr int64_t kGcPeriodNs = 1'000'000'000;

double seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

struct FlowController::Loop {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  boost::asio::steady_timer timer{io};
  std::thread thread;
};

FlowController::FlowController(Options options) : options_(std::move(options)) {
  FlowControlMetrics::get();
  if (options_.threaded) {
    loop_ = std::make_unique<Loop>();
    loop_->thread = std::thread([this] {
      pthread_setname_np(pthread_self(), "eppd-flowctl");
      loop_->io.run();
    });
  }
}

FlowController::~FlowController() { shutdown(); }

void FlowController::shutdown() {
  std::vector<std::unique_ptr<QueuedItem>> left;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    left = queues_.drain();
    for (auto& item : left) {
      if (item->info.cancel) item->info.cancel->clearHook();
    }
    queued_.store(0, std::memory_order_relaxed);
  }
  if (loop_) {
    // Let a cycle in progress finish, then stop; handlers not yet run are dropped.
    boost::asio::post(loop_->io, [this] {
      loop_->timer.cancel();
      loop_->work.reset();
      loop_->io.stop();
    });
    if (loop_->thread.joinable()) loop_->thread.join();
  }
  int64_t now = common::monotonicNowNs();
  for (auto& item : left) {
    finish({std::move(item), QueueOutcome::kEvictedOther, "eppd is shutting down"}, now);
  }
}

void FlowController::enqueue(std::unique_ptr<FlowRequest> request, FlowRequestInfo info,
                             std::shared_ptr<const FlowControlConfig> requestConfig) {
  const int64_t start = common::monotonicNowNs();
  FlowControlMetrics& metrics = FlowControlMetrics::get();
  const FlowSeries* series = metrics.series(info);
  std::shared_ptr<common::CancelSignal> cancel = info.cancel;
  FlowRequestInfo labels;  // what the metrics need once the item is out of reach
  labels.key = info.key;
  QueueOutcome refusedAs = QueueOutcome::kRejectedCapacity;
  std::string refusal;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) {
      refusal = "eppd is shutting down";
      refusedAs = QueueOutcome::kEvictedOther;
    } else if (cancel && cancel->cancelled()) {
      refusal = "the client went away before the request was queued";
      refusedAs = QueueOutcome::kEvictedCancelled;
    } else {
      std::shared_ptr<const FlowControlConfig> current = options_.config();
      if (current && current->enabled) {
        queues_.configure(std::move(current));
      } else if (queues_.config() == nullptr) {
        queues_.configure(std::move(requestConfig));
      }
      labels.pool = info.pool;
      labels.modelName = info.modelName;
      labels.targetModelName = info.targetModelName;
      FlowQueues::Enqueued queued = queues_.enqueue(request, std::move(info), start);
      if (queued.item != nullptr) {
        QueuedItem* item = queued.item;
        item->series = series;
        series->size->Increment();
        series->bytes->Increment(static_cast<double>(item->queued.byte_size));
        queued_.store(queues_.size(), std::memory_order_relaxed);
        // Under the lock: the dispatcher clears the hook only after taking the item, so a
        // hook never outlives its item's stay.
        if (cancel) {
          uint64_t id = item->id();
          if (!cancel->setHook([this, id] { pushCancel(id); })) pushCancel(id);
        }
      } else {
        refusal = std::move(queued.refusal);
        refusedAs = queued.outcome;
      }
    }
  }
  const int64_t end = common::monotonicNowNs();
  if (refusal.empty()) {
    metrics.enqueued(labels, "Queued", seconds(end - start), series);
    wake();
    return;
  }
  metrics.enqueued(labels, outcomeLabel(refusedAs), seconds(end - start));
  metrics.left(labels, refusedAs, 0);
  QueueExit exit{refusedAs, 0, std::move(refusal), labels.key.priority};
  request->reject(exit);
}

void FlowController::pushCancel(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(cancelMutex_);
    cancelled_.push_back(id);
  }
  // Not gated on queued(): the item is queued, whatever the count read says.
  if (!options_.threaded) {
    wakeRequested_.store(true, std::memory_order_relaxed);
  } else if (!kickPending_.exchange(true)) {
    boost::asio::post(loop_->io, [this] { runCycleThreaded(); });
  }
}

void FlowController::wake() {
  if (queued() == 0) return;
  if (!options_.threaded) {
    wakeRequested_.store(true, std::memory_order_relaxed);
    return;
  }
  if (!kickPending_.exchange(true)) {
    boost::asio::post(loop_->io, [this] { runCycleThreaded(); });
  }
}

void FlowController::runCycleThreaded() {
  kickPending_.store(false);
  int64_t due = cycle();
  if (due == INT64_MAX) {
    loop_->timer.cancel();
    return;
  }
  int64_t delay = std::max<int64_t>(0, due - common::monotonicNowNs());
  loop_->timer.expires_after(std::chrono::nanoseconds(delay));
  loop_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) runCycleThreaded();
  });
}

int64_t FlowController::pump() {
  int64_t now = common::monotonicNowNs();
  if (wakeRequested_.exchange(false) || now >= nextDueNs_) nextDueNs_ = cycle();
  return nextDueNs_;
}

double FlowController::saturation(const FlowControlConfig& config, int64_t nowNs) {
  const loader::PluginInstance* detector = config.detector;
  if (!config.enabled || detector == nullptr || options_.endpoints == nullptr) return 0;
  // Copies of the views with live in-flight counts: a dispatch a moment ago must count.
  datalayer::EndpointSnapshotPtr snap = options_.endpoints->current();
  poolViews_.clear();
  for (size_t i = 0; i < snap->size(); ++i) {
    const epp_endpoint_view* v = snap->view(i);
    if (v->health != EPP_HEALTH_HEALTHY && v->health != EPP_HEALTH_UNKNOWN) continue;
    poolViews_.push_back(*v);
    poolViews_.back().inflight_requests = snap->inflight(i);
  }
  std::vector<const epp_endpoint_view*>& pool = poolPointers_;
  pool.clear();
  for (const epp_endpoint_view& v : poolViews_) pool.push_back(&v);
  SaturationReading reading = readSaturation(*detector, {pool.data(), pool.size()}, nowNs);
  if (options_.hooks.saturationRead) options_.hooks.saturationRead(*detector, reading);
  if (!reading.ok) {
    FlowControlMetrics::get().failOpen();
    return 0;  // fail open: a broken detector must not stall every queue
  }
  std::string poolName =
      pool.empty() ? "default" : std::string(pool.front()->pool.ptr, pool.front()->pool.len);
  FlowControlMetrics::get().poolSaturation(poolName, reading.value);
  return reading.value;
}

int64_t FlowController::cycle() {
  int64_t now = common::monotonicNowNs();
  std::vector<uint64_t> cancels;
  {
    std::lock_guard<std::mutex> lock(cancelMutex_);
    cancels.swap(cancelled_);
  }
  std::shared_ptr<const FlowControlConfig> config = options_.config();
  std::vector<Exit> exits;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return INT64_MAX;
    for (uint64_t id : cancels) {
      if (auto item = queues_.remove(id)) {
        exits.push_back({std::move(item), QueueOutcome::kEvictedCancelled, "client disconnected"});
      }
    }
    for (auto& item : queues_.expire(now)) {
      std::string detail =
          fmt::format("waited {} ms, the TTL", (now - item->queued.enqueued_ns) / 1'000'000);
      exits.push_back({std::move(item), QueueOutcome::kEvictedTtl, std::move(detail)});
    }
    if (config && !config->enabled) {
      // A reload turned flow control off: let everything go now, in arrival order.
      for (auto& item : queues_.drain()) {
        exits.push_back({std::move(item), QueueOutcome::kDispatched, "flow control turned off"});
      }
    }
    if (config) queues_.configure(config);
    if (now - lastGcNs_ >= kGcPeriodNs) {
      queues_.collectIdleFlows(now, options_.flowIdleNs);
      lastGcNs_ = now;
    }
    for (auto& e : exits) {
      if (e.item->info.cancel) e.item->info.cancel->clearHook();
    }
    queued_.store(queues_.size(), std::memory_order_relaxed);
  }
  for (auto& e : exits) finish(std::move(e), now);

  bool held = false;
  for (;;) {
    const int64_t start = common::monotonicNowNs();
    Exit next{nullptr, QueueOutcome::kDispatched, ""};
    std::string fault;
    const loader::PluginInstance* fairness = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_ || queues_.size() == 0) break;
      // Hold while the pool is at the ceiling of the band that would dispatch next (1.0,
      // saturated, unless the band keeps capacity free for higher ones).
      if (queues_.config() != nullptr &&
          saturation(*queues_.config(), start) >= queues_.nextBand()->saturationCeiling) {
        held = true;
        break;
      }
      next.item = queues_.popNext(start, &fault);
      if (!fault.empty()) {
        fairness = queues_.config()->bandFor(next.item->queued.priority).fairness;
      }
      if (next.item->info.cancel) next.item->info.cancel->clearHook();
      queued_.store(queues_.size(), std::memory_order_relaxed);
    }
    const int64_t picked = common::monotonicNowNs();
    FlowControlMetrics::get().dispatchCycle(seconds(picked - start));
    if (fairness != nullptr && options_.hooks.fairnessFault) {
      options_.hooks.fairnessFault(*fairness, fault);
    }
    finish(std::move(next), picked);
  }

  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_ || queues_.size() == 0) return INT64_MAX;
  int64_t due = queues_.nextDeadlineNs();
  if (held) due = std::min(due, common::monotonicNowNs() + options_.recheckNs);
  return due;
}

void FlowController::finish(Exit exit, int64_t nowNs) {
  QueuedItem& item = *exit.item;
  if (exit.outcome == QueueOutcome::kDispatched && item.info.cancel &&
      item.info.cancel->cancelled()) {
    exit.outcome = QueueOutcome::kEvictedCancelled;
    exit.detail = "client disconnected";
  }
  if (item.series != nullptr) {
    item.series->size->Decrement();
    item.series->bytes->Decrement(static_cast<double>(item.queued.byte_size));
  }
  QueueExit out{exit.outcome, std::max<int64_t>(0, nowNs - item.queued.enqueued_ns),
                std::move(exit.detail), item.queued.priority};
  FlowControlMetrics::get().left(item.info, exit.outcome, seconds(out.waitNs), item.series);
  try {
    if (exit.outcome == QueueOutcome::kDispatched) {
      dispatched_.fetch_add(1, std::memory_order_relaxed);
      item.request->dispatch(out);
    } else {
      item.request->reject(out);
    }
  } catch (const std::exception& e) {
    common::logger()->error("request {}: flow control: {}", item.info.requestId, e.what());
  }
}

std::vector<BandStats> FlowController::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queues_.stats();
}

}  // namespace epp::flowcontrol

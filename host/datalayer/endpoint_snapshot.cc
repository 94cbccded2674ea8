#include "host/datalayer/endpoint_snapshot.h"

#include <xxhash.h>

#include "host/loader/abi_views.h"

namespace epp::datalayer {
namespace {}  // namespace

std::string EndpointState::hostPort() const {
  bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

uint64_t endpointId(std::string_view pool, std::string_view hostPort) {
  uint64_t seed = XXH64(pool.data(), pool.size(), 0);
  uint64_t id = XXH64(hostPort.data(), hostPort.size(), seed);
  return id == 0 ? 1 : id;  // 0 is "no endpoint" in places
}

EndpointSnapshot::EndpointSnapshot(std::vector<EndpointState> states, uint64_t version,
                                   const std::function<InflightCounter(uint64_t)>& counterFor)
    : version_(version) {
  entries_.reserve(states.size());
  for (auto& s : states) {
    auto e = std::make_unique<Entry>();
    e->state = std::move(s);
    const EndpointState& st = e->state;
    e->hostPort = st.hostPort();
    for (const auto& [k, v] : st.labels) e->labels.push_back({loader::toStr(k), loader::toStr(v)});
    for (const auto& l : st.activeLoras) e->active.push_back(loader::toStr(l));
    for (const auto& l : st.waitingLoras) e->waiting.push_back(loader::toStr(l));
    epp_endpoint_view& v = e->view;
    v.struct_size = sizeof v;
    v.flags = (st.hasMetrics ? 0u : EPP_ENDPOINT_FLAG_NO_METRICS) |
              (st.stale ? EPP_ENDPOINT_FLAG_STALE : 0u);
    v.id = endpointId(st.pool, e->hostPort);
    v.address = loader::toStr(st.address);
    v.port = st.port;
    v.health = st.health;
    v.host_port = loader::toStr(e->hostPort);
    v.name = loader::toStr(st.name);
    v.engine = loader::toStr(st.engine);
    v.role = loader::toStr(st.role);
    v.pool = loader::toStr(st.pool);
    v.labels = e->labels.data();
    v.labels_count = e->labels.size();
    v.waiting_requests = st.waiting;
    v.running_requests = st.running;
    v.kv_cache_usage = st.kvCacheUsage;
    v.active_loras = e->active.data();
    v.active_loras_count = e->active.size();
    v.waiting_loras = e->waiting.data();
    v.waiting_loras_count = e->waiting.size();
    v.max_loras = st.maxLoras;
    v.cache_block_size = st.cacheBlockSize;
    v.cache_num_blocks = st.cacheNumBlocks;
    v.metrics_updated_ns = st.metricsUpdatedNs;
    e->inflight = counterFor(v.id);
    v.inflight_requests = e->inflight->load();
    byHostPort_.emplace(e->hostPort, static_cast<int>(entries_.size()));
    byId_.emplace(v.id, static_cast<int>(entries_.size()));
    entries_.push_back(std::move(e));
  }
  for (const auto& e : entries_) pointers_.push_back(&e->view);
  all_ = {pointers_.data(), pointers_.size()};
}

int EndpointSnapshot::find(std::string_view hostPort) const {
  auto it = byHostPort_.find(hostPort);
  return it == byHostPort_.end() ? -1 : it->second;
}

int EndpointSnapshot::findById(uint64_t id) const {
  auto it = byId_.find(id);
  return it == byId_.end() ? -1 : it->second;
}

EndpointStore::EndpointStore()
    : current_(std::make_shared<EndpointSnapshot>(std::vector<EndpointState>{}, 0, [](uint64_t) {
        return std::make_shared<std::atomic<int64_t>>(0);
      })) {}

EndpointSnapshotPtr EndpointStore::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void EndpointStore::replace(std::vector<EndpointState> states) {
  std::lock_guard<std::mutex> writer(writeMutex_);
  publish(std::move(states));
}

void EndpointStore::publish(std::vector<EndpointState> states) {
  auto counterFor = [this](uint64_t id) {
    auto& c = counters_[id];
    if (!c) c = std::make_shared<std::atomic<int64_t>>(0);
    return c;
  };
  auto next = std::make_shared<EndpointSnapshot>(std::move(states), nextVersion_++, counterFor);
  // Forget counters of endpoints that left; snapshots still holding them keep theirs alive.
  for (auto it = counters_.begin(); it != counters_.end();) {
    it = next->findById(it->first) < 0 ? counters_.erase(it) : std::next(it);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = next;
  }
  if (listener_) listener_(*next);
}

}  // namespace epp::datalayer

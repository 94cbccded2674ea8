// File: epp/testing/fake_endpoints.h
//
// Endpoints for plugin unit tests: describe them as plain structs, get the ABI views and
// lists the host would pass.
//
//   EndpointSet eps({{.address = "10.0.0.1", .waiting = 3}, {.address = "10.0.0.2"}});
//   instance.score(request, eps);   // scores every endpoint of the set
#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "epp/abi.h"

namespace epp::testing {

struct FakeEndpoint {
  std::string address = "10.0.0.1";
  uint32_t port = 8000;
  uint64_t id = 0;  // 0: derived from the position in the set (1, 2, ...)
  std::string name{};
  std::string engine = "vllm";
  std::string role{};
  std::string pool = "default";
  std::vector<std::pair<std::string, std::string>> labels{};
  int64_t waiting = 0;
  int64_t running = 0;
  double kvCacheUsage = 0;
  std::vector<std::string> activeLoras{};
  std::vector<std::string> waitingLoras{};
  int64_t maxLoras = 0;
  int64_t cacheBlockSize = 16;
  int64_t cacheNumBlocks = 0;
  int64_t metricsUpdatedNs = 0;
  int64_t inflight = 0;
  epp_health health = EPP_HEALTH_HEALTHY;
  uint32_t flags = 0;
};

// Owns the views of a set of endpoints. Views and lists stay valid while the set lives;
// the set is not copyable because views point into it.
class EndpointSet {
 public:
  EndpointSet() = default;
  EndpointSet(std::initializer_list<FakeEndpoint> endpoints) {
    for (const auto& e : endpoints) add(e);
  }
  explicit EndpointSet(std::vector<FakeEndpoint> endpoints) {
    for (auto& e : endpoints) add(std::move(e));
  }
  EndpointSet(const EndpointSet&) = delete;
  EndpointSet& operator=(const EndpointSet&) = delete;

  const epp_endpoint_view* add(FakeEndpoint e) {
    auto s = std::make_unique<Storage>();
    s->spec = std::move(e);
    if (s->spec.id == 0) s->spec.id = storage_.size() + 1;
    s->hostPort = s->spec.address + ":" + std::to_string(s->spec.port);
    for (const auto& [k, v] : s->spec.labels) s->labels.push_back({str(k), str(v)});
    for (const auto& l : s->spec.activeLoras) s->active.push_back(str(l));
    for (const auto& l : s->spec.waitingLoras) s->waiting.push_back(str(l));
    epp_endpoint_view& v = s->view;
    v.struct_size = sizeof v;
    v.flags = s->spec.flags;
    v.id = s->spec.id;
    v.address = str(s->spec.address);
    v.port = s->spec.port;
    v.health = s->spec.health;
    v.host_port = str(s->hostPort);
    v.name = str(s->spec.name);
    v.engine = str(s->spec.engine);
    v.role = str(s->spec.role);
    v.pool = str(s->spec.pool);
    v.labels = s->labels.data();
    v.labels_count = s->labels.size();
    v.waiting_requests = s->spec.waiting;
    v.running_requests = s->spec.running;
    v.kv_cache_usage = s->spec.kvCacheUsage;
    v.active_loras = s->active.data();
    v.active_loras_count = s->active.size();
    v.waiting_loras = s->waiting.data();
    v.waiting_loras_count = s->waiting.size();
    v.max_loras = s->spec.maxLoras;
    v.cache_block_size = s->spec.cacheBlockSize;
    v.cache_num_blocks = s->spec.cacheNumBlocks;
    v.metrics_updated_ns = s->spec.metricsUpdatedNs;
    v.inflight_requests = s->spec.inflight;
    storage_.push_back(std::move(s));
    pointers_.push_back(&storage_.back()->view);
    list_ = {pointers_.data(), pointers_.size()};
    return &storage_.back()->view;
  }

  size_t size() const { return storage_.size(); }
  const epp_endpoint_view* view(size_t i) const { return &storage_[i]->view; }
  // Every endpoint of the set.
  const epp_endpoint_list* list() const { return &list_; }
  // A list of the endpoints at `indices` (valid while the set lives).
  const epp_endpoint_list* subset(const std::vector<size_t>& indices) {
    auto& ptrs = subsets_.emplace_back();
    for (size_t i : indices) ptrs.push_back(&storage_.at(i)->view);
    auto& l = subsetLists_.emplace_back(epp_endpoint_list{ptrs.data(), ptrs.size()});
    return &l;
  }

 private:
  static epp_str str(const std::string& s) { return {s.data(), s.size()}; }
  struct Storage {
    FakeEndpoint spec;
    std::string hostPort;
    std::vector<epp_kv> labels;
    std::vector<epp_str> active;
    std::vector<epp_str> waiting;
    epp_endpoint_view view{};
  };
  std::vector<std::unique_ptr<Storage>> storage_;
  std::vector<const epp_endpoint_view*> pointers_;
  epp_endpoint_list list_{nullptr, 0};
  std::deque<std::vector<const epp_endpoint_view*>> subsets_;
  std::deque<epp_endpoint_list> subsetLists_;
};

}  // namespace epp::testing

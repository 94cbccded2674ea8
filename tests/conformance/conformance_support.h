// File: tests/conformance/conformance_support.h
//
// What every per-kind conformance suite needs:
//  - the catalogue: every library of the build's built-in plugin directory and the SDK's
//    examples, loaded once through eppd's real loader (content-addressed copies, ABI checks);
//  - real endpoint snapshots (datalayer::EndpointSnapshot) in the shapes eppd produces,
//    metrics missing, stale or extreme included;
//  - real requests (scheduling::RequestContext, behind the real host callback table);
//  - the request lifecycle hooks, called in eppd's order.
// Suites are parameterised by type name, so a new plugin library is covered by dropping it
// into the built-in directory: nothing here names the plugins under test.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "epp/abi.h"
#include "host/common/clock.h"
#include "host/config/param_tree.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/loader/plugin_instance.h"
#include "host/loader/plugin_registry.h"
#include "host/scheduling/request_context.h"

namespace epp::conformance {

namespace fs = std::filesystem;

// Types that cannot be created without parameters, with the parameters a run uses. Every
// other type must accept an empty parameter map: the reference gives every plugin
// defaults. The suites check that each listed type does refuse no parameters.
inline const std::map<std::string, std::string, std::less<>>& requiredParameters() {
  static const std::map<std::string, std::string, std::less<>> params = {
      {"by-label", "label: llm-d.ai/role\nvalidValues: [decode, both]\n"},
  };
  return params;
}

// Every plugin library the build produced, loaded once per test process.
class Catalogue {
 public:
  static Catalogue& get() {
    static Catalogue* catalogue = new Catalogue();  // never destroyed: instances outlive tests
    return *catalogue;
  }

  const loader::PluginRegistry& registry() const { return registry_; }
  bool scanned() const { return scanned_; }

  // Type names providing `kind` (an EPP_KIND_* bit), sorted.
  std::vector<std::string> typesOf(uint32_t kind) const {
    std::vector<std::string> out;
    for (const auto& [name, type] : registry_.types()) {
      if ((type.type->kinds & kind) != 0) out.push_back(name);
    }
    return out;
  }

 private:
  Catalogue()
      // One cache for every test process: copies are content-addressed and written by
      // rename, so processes running side by side share them safely.
      : cache_(fs::temp_directory_path() / "eppd-conformance-cache"),
        registry_({.cache_dir = cache_, .host_abi = {}}) {
    scanned_ = registry_.scan({EPP_BUILTIN_PLUGIN_DIR, EPP_EXAMPLE_PLUGIN_DIR});
  }

  fs::path cache_;
  loader::PluginRegistry registry_;
  bool scanned_ = false;
};

// A test-name-safe form of a type name ("queue-scorer" -> "queue_scorer").
inline std::string testName(std::string typeName) {
  std::replace(typeName.begin(), typeName.end(), '-', '_');
  return typeName;
}

// Creates `typeName` as a config would with no parameters (or with requiredParameters()).
inline common::Result<std::shared_ptr<loader::PluginInstance>> createInstance(
    const std::string& typeName) {
  const loader::RegisteredType* type = Catalogue::get().registry().find(typeName);
  if (type == nullptr) return common::Error{"no loaded library provides " + typeName};
  auto it = requiredParameters().find(typeName);
  if (it == requiredParameters().end()) return loader::PluginInstance::create(*type, typeName);
  auto tree = config::ParamTree::parse(it->second, "conformance.yaml");
  if (!tree) return common::Error{tree.error()};
  return loader::PluginInstance::create(*type, typeName, tree->root());
}

// Where the type was loaded from, for failure messages.
inline std::string origin(const std::string& typeName) {
  const loader::RegisteredType* type = Catalogue::get().registry().find(typeName);
  return type == nullptr ? "?" : type->file.filename().string();
}

// ---- endpoints -------------------------------------------------------------------------

// An endpoint snapshot built as eppd builds one, and its candidate list.
class Fleet {
 public:
  explicit Fleet(std::vector<datalayer::EndpointState> states)
      : snapshot_(std::make_shared<datalayer::EndpointSnapshot>(std::move(states), 1, [](uint64_t) {
          return std::make_shared<std::atomic<int64_t>>(0);
        })) {}

  const datalayer::EndpointSnapshotPtr& snapshot() const { return snapshot_; }
  size_t size() const { return snapshot_->size(); }
  const epp_endpoint_list& list() const { return snapshot_->all(); }

 private:
  datalayer::EndpointSnapshotPtr snapshot_;
};

inline datalayer::EndpointState endpoint(size_t i) {
  static const char* const kRoles[] = {"decode", "prefill", "both", ""};
  datalayer::EndpointState s;
  s.address = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
  s.port = 8000;
  s.name = "pod-" + std::to_string(i);
  s.role = kRoles[i % 4];
  if (!s.role.empty()) s.labels["llm-d.ai/role"] = s.role;
  s.labels["gpu"] = i % 2 == 0 ? "H100" : "A100";
  s.hasMetrics = true;
  s.waiting = static_cast<int64_t>((i * 7) % 23);
  s.running = static_cast<int64_t>((i * 5) % 17);
  s.kvCacheUsage = static_cast<double>((i * 37) % 101) / 100.0;
  if (i % 3 == 0) s.activeLoras = {"sql-lora"};
  if (i % 5 == 0) s.waitingLoras = {"chat-lora"};
  s.maxLoras = 2;
  s.cacheBlockSize = 16;
  s.cacheNumBlocks = 4096;
  s.metricsUpdatedNs = common::monotonicNowNs();
  return s;
}

// Named shapes of candidate sets eppd hands to plugins.
struct Scenario {
  std::string name;
  std::vector<datalayer::EndpointState> endpoints;
};

inline std::vector<Scenario> scenarios() {
  auto range = [](size_t n) {
    std::vector<datalayer::EndpointState> out;
    for (size_t i = 0; i < n; ++i) out.push_back(endpoint(i));
    return out;
  };
  std::vector<Scenario> out;
  out.push_back({"one endpoint", range(1)});
  out.push_back({"two endpoints", range(2)});
  out.push_back({"64 endpoints", range(64)});
  {
    // Never scraped: the metric fields hold zeros that mean nothing.
    auto eps = range(5);
    for (auto& e : eps) {
      e.hasMetrics = false;
      e.waiting = e.running = 0;
      e.kvCacheUsage = 0;
      e.activeLoras.clear();
      e.waitingLoras.clear();
      e.maxLoras = e.cacheBlockSize = e.cacheNumBlocks = e.metricsUpdatedNs = 0;
      e.health = EPP_HEALTH_UNKNOWN;
    }
    out.push_back({"no metrics", std::move(eps)});
  }
  {
    auto eps = range(5);
    for (auto& e : eps) {
      e.stale = true;
      e.metricsUpdatedNs -= 60'000'000'000;
    }
    out.push_back({"stale metrics", std::move(eps)});
  }
  {
    auto eps = range(9);
    for (size_t i = 0; i < eps.size(); ++i) {
      if (i % 3 == 0) eps[i].hasMetrics = false;
      if (i % 3 == 1) eps[i].stale = true;
      if (i % 2 == 0) eps[i].health = EPP_HEALTH_UNKNOWN;
      if (i % 4 == 0) eps[i].name.clear();
    }
    out.push_back({"mixed", std::move(eps)});
  }
  {
    auto eps = range(4);
    eps[0].waiting = eps[0].running = 1'000'000'000;
    eps[0].kvCacheUsage = 1.0;
    eps[1].waiting = eps[1].running = 0;
    eps[1].kvCacheUsage = 0.0;
    eps[2].waiting = 1'000'000'000;
    eps[3].labels.clear();
    eps[3].role.clear();
    out.push_back({"extreme", std::move(eps)});
  }
  {
    // Every endpoint alike: ties everywhere.
    std::vector<datalayer::EndpointState> eps(6, endpoint(3));
    for (size_t i = 0; i < eps.size(); ++i) eps[i].address = "10.1.0." + std::to_string(i + 1);
    out.push_back({"identical", std::move(eps)});
  }
  return out;
}

// ---- requests --------------------------------------------------------------------------

struct RequestShape {
  std::string name;
  std::string prompt;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string loraAdapter;
  int32_t priority = 0;
  // Publish a prefix match for every other candidate, as approx-prefix-cache-producer does.
  bool prefixMatches = false;
};

inline std::vector<RequestShape> requestShapes() {
  return {
      {.name = "empty prompt"},
      {.name = "long prompt, LoRA, headers",
       .prompt = std::string(12000, 'x') + " question",
       .headers = {{"x-session-token", "cG9kLTI="},  // base64("pod-2")
                   {"x-gpu-type", "H100"},
                   {"x-gateway-inference-fairness-id", "tenant-a"}},
       .loraAdapter = "sql-lora",
       .priority = -1},
      {.name = "prefix matches, bad token",
       .prompt = std::string(2048, 's'),
       .headers = {{"x-session-token", "%%% not base64 %%%"}},
       .prefixMatches = true},
  };
}

// A request as eppd builds one (its host callbacks work), over `fleet`'s snapshot.
inline std::unique_ptr<scheduling::RequestContext> makeRequest(const Fleet& fleet,
                                                               const RequestShape& shape,
                                                               uint64_t seed) {
  auto body = std::make_shared<std::string>(R"({"model":"m","prompt":"...")"
                                            "}");
  scheduling::RequestFields fields;
  fields.requestId = "conformance-" + std::to_string(seed);
  fields.headers = shape.headers;
  fields.headers.emplace_back(":path", "/v1/completions");
  fields.headers.emplace_back("x-request-id", fields.requestId);
  fields.body = *body;
  fields.path = "/v1/completions";
  fields.model = "m";
  fields.targetModel = shape.loraAdapter.empty() ? "m" : shape.loraAdapter;
  fields.loraAdapter = shape.loraAdapter;
  fields.prompt = shape.prompt;
  fields.priority = shape.priority;
  fields.receivedNs = common::monotonicNowNs();
  auto request =
      std::make_unique<scheduling::RequestContext>(std::move(fields), fleet.snapshot(), seed, body);
  if (shape.prefixMatches) {
    std::vector<uint64_t> ids;
    std::vector<double> ratios;
    const epp_endpoint_list& all = fleet.list();
    for (size_t i = 0; i < all.count; i += 2) {
      ids.push_back(all.items[i]->id);
      ratios.push_back(static_cast<double>(i % 5) / 4.0);
    }
    request->dataPut("prefix-cache/match-ratio", ids, ratios);
  }
  return request;
}

// ---- lifecycle ---------------------------------------------------------------------------

inline const epp_request_hooks_v1* requestHooks(const loader::PluginInstance& instance) {
  return instance.type().request_hooks;
}

// prepare_request, when the type offers it (before scheduling).
inline epp_status prepare(const loader::PluginInstance& instance,
                          scheduling::RequestContext& request, const epp_endpoint_list& list) {
  const auto* hooks = requestHooks(instance);
  if (hooks == nullptr || hooks->prepare_request == nullptr) return EPP_OK;
  return hooks->prepare_request(instance.pluginPtr(), request.view(), &list);
}

// After scheduling picked `target`: pre_request, response headers, one body chunk and
// request_complete, as eppd calls them for a completed request.
inline void complete(const loader::PluginInstance& instance, scheduling::RequestContext& request,
                     const epp_endpoint_view* target) {
  const auto* hooks = requestHooks(instance);
  if (hooks == nullptr) return;
  const epp_endpoint_view* const targets[] = {target};
  epp_profile_result profile{sizeof(epp_profile_result), true, {"default", 7}, targets, 1};
  const epp_profile_result* const profiles[] = {&profile};
  epp_scheduling_result result{sizeof(epp_scheduling_result), 0, profiles, 1};
  if (hooks->pre_request) hooks->pre_request(instance.pluginPtr(), request.view(), &result);
  const epp_kv headers[] = {{{":status", 7}, {"200", 3}},
                            {{"content-type", 12}, {"application/json", 16}}};
  epp_response_view response{};
  response.struct_size = sizeof response;
  response.status_code = 200;
  response.headers = headers;
  response.headers_count = 2;
  response.endpoint = target;
  response.usage = {-1, -1, -1, -1};
  response.first_byte_ns = common::monotonicNowNs();
  if (hooks->response_headers) {
    hooks->response_headers(instance.pluginPtr(), request.view(), &response);
  }
  request.takeResponseHeaders();
  static const char kBody[] = R"({"usage":{"prompt_tokens":3,"completion_tokens":1}})";
  if (hooks->response_body) {
    hooks->response_body(instance.pluginPtr(), request.view(), &response,
                         {reinterpret_cast<const uint8_t*>(kBody), sizeof kBody - 1}, true);
  }
  response.completed_ns = common::monotonicNowNs();
  if (hooks->request_complete) {
    hooks->request_complete(instance.pluginPtr(), request.view(), &response, EPP_OUTCOME_COMPLETED);
  }
}

// Data hooks around a run: endpoints joining, and leaving at the end.
inline void endpointsAdded(const loader::PluginInstance& instance, const epp_endpoint_list& list) {
  const auto* hooks = instance.type().data_hooks;
  if (hooks && hooks->endpoints_added) hooks->endpoints_added(instance.pluginPtr(), &list);
}

inline void endpointsRemoved(const loader::PluginInstance& instance,
                             const epp_endpoint_list& list) {
  const auto* hooks = instance.type().data_hooks;
  if (hooks == nullptr || hooks->endpoints_removed == nullptr) return;
  std::vector<uint64_t> ids;
  for (size_t i = 0; i < list.count; ++i) ids.push_back(list.items[i]->id);
  hooks->endpoints_removed(instance.pluginPtr(), ids.data(), ids.size());
}

}  // namespace epp::conformance

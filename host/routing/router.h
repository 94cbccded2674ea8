// File: host/routing/router.h
//
// Model routing, between parsing and admission: which model a request is served as.
//
//   1. The requested name: header x-gateway-model-name-rewrite when sent, else the body's
//      model.
//   2. A routing rule whose model is that name (or the served model it resolves to), and
//      whose headers the request carries, rewrites it to one of its weighted targets; with
//      several targets its traffic splitter plugin chooses (InferenceModelRewrite).
//   3. Otherwise the name resolves to a served model (exact, alias, newest version, case
//      folded when configured); with a model list, an unknown name is 404 NotFound.
//   4. A target that is a LoRA adapter which no candidate endpoint holds and none has a
//      free adapter slot for goes to its base model (loraFallback), or is refused with 503.
//
// Everything that can be decided from the config (name tables, rule buckets, split target
// arrays, metric series) is built once per config snapshot; route() does lookups.
#pragma once

#include <prometheus/counter.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "epp/abi.h"
#include "host/common/result.h"
#include "host/config/picker_config.h"
#include "host/loader/plugin_instance.h"
#include "host/routing/model_names.h"
#include "host/routing/routing_record.h"

namespace epp::routing {

inline constexpr char kRewriteHeader[] = "x-gateway-model-name-rewrite";

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct RouteRequest {
  std::string_view requestId;
  std::string_view path;
  std::string_view model;     // the body's model
  const HeaderList* headers;  // lower-case keys
  // The endpoints the request may go to (healthy, within the subset hint): where a LoRA
  // adapter's placement is checked and what a splitter's pool() returns.
  std::span<const epp_endpoint_view* const> candidates;
  // Seeds the splitter's generator; called only when a splitter runs.
  const std::function<uint64_t()>* seed = nullptr;
};

struct Route {
  // 0, or the HTTP status of an error (404 NotFound, 503 ServiceUnavailable).
  int httpStatus = 0;
  std::string errorCode;
  std::string errorMessage;
  std::string targetModel;  // routed as (also for errors: the name that failed)
  std::string loraAdapter;  // targetModel when it is a LoRA adapter, else empty
  RoutingRecord record;
  // The splitter's call (null when none ran), its duration and, when it misbehaved (error
  // status, index out of range), why: the rule's heaviest target was used instead.
  const loader::PluginInstance* splitter = nullptr;
  int64_t splitterNs = 0;
  std::string splitterFault;

  bool ok() const { return httpStatus == 0; }
};

class Router {
 public:
  using SplitterLookup = std::function<const loader::PluginInstance*(const std::string& name)>;

  // `spec` as parseConfig checked it (names resolved); `splitters` finds each rule's
  // splitter instance. Fails only for a splitter that cannot be found or is not one.
  static common::Result<std::shared_ptr<const Router>> build(const config::RoutingSpec& spec,
                                                             const SplitterLookup& splitters);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  Route route(const RouteRequest& request) const;
  // False when no model list is configured (every name is accepted as is).
  bool hasModelList() const { return !models_.empty(); }

 private:
  // A LoRA adapter's fallback, with its metric series.
  struct Adapter {
    std::string base;  // empty: none
    bool fallback = true;
    prometheus::Counter* toBase = nullptr;
    prometheus::Counter* rejected = nullptr;
  };
  struct Model {
    std::string name;
    std::unique_ptr<Adapter> adapter;  // null: not an adapter
  };
  struct Target {
    std::string model;
    const Adapter* adapter = nullptr;  // the model's own, or the rule's
    prometheus::Counter* decisions = nullptr;
  };
  struct Rule {
    std::string name;
    HeaderList headers;
    const loader::PluginInstance* splitter = nullptr;
    std::vector<Target> targets;
    std::vector<epp_split_target> splitTargets;  // views of targets[i].model
    std::vector<const epp_split_target*> splitTargetPtrs;
    size_t heaviest = 0;
    // Adapters of targets the rule's baseModel/loraFallback declares (not in models).
    std::vector<std::unique_ptr<Adapter>> adapters;
  };

  Router() = default;
  std::unique_ptr<Adapter> makeAdapter(const std::string& name, const std::string& base,
                                       std::optional<bool> fallback) const;
  const Rule* matchRule(std::string_view key, const RouteRequest& request) const;
  size_t split(const Rule& rule, const RouteRequest& request, std::string_view requested,
               Route& route) const;
  void placeLora(const std::string& model, const Adapter& adapter, const RouteRequest& request,
                 Route& route) const;

  ModelNameTable names_;
  std::vector<Model> models_;
  std::vector<std::unique_ptr<Rule>> rules_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // names_.key(rule model) -> rules in config order
  std::unordered_map<std::string, std::vector<const Rule*>, Hash, std::equal_to<>> rulesByModel_;
};

}  // namespace epp::routing

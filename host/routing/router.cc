#include "host/routing/router.h"

#include <fmt/format.h>

#include <chrono>

#include "host/loader/abi_views.h"
#include "host/routing/lora_placement.h"
#include "host/routing/routing_metrics.h"
#include "host/routing/split_request.h"

namespace epp::routing {
namespace {

int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const std::string* findHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<Router::Adapter> Router::makeAdapter(const std::string& name,
                                                     const std::string& base,
                                                     std::optional<bool> fallback) const {
  auto a = std::make_unique<Adapter>();
  a->base = base;
  a->fallback = fallback.value_or(true);
  RoutingMetrics& metrics = RoutingMetrics::get();
  if (!a->base.empty() && a->fallback) a->toBase = &metrics.loraFallback(name, base, "base-model");
  a->rejected = &metrics.loraFallback(name, base, "rejected");
  return a;
}

common::Result<std::shared_ptr<const Router>> Router::build(const config::RoutingSpec& spec,
                                                            const SplitterLookup& splitters) {
  std::shared_ptr<Router> r(new Router());
  r->names_ = ModelNameTable(spec.caseInsensitive);
  for (const config::ModelSpec& m : spec.models) {
    Model& model = r->models_.emplace_back();
    model.name = m.name;
    if (m.lora) model.adapter = r->makeAdapter(m.name, m.baseModel, m.loraFallback);
    // parseConfig reported any clash already; the first holder keeps a taken name.
    r->names_.addName(m.name, static_cast<int>(r->models_.size() - 1));
    for (const auto& alias : m.aliases) {
      r->names_.addAlias(alias, static_cast<int>(r->models_.size() - 1));
    }
  }
  r->names_.finish();
  auto modelIndex = [&](const std::string& name) -> const Model* {
    auto found = r->names_.resolve(name);
    return found ? &r->models_[found->model] : nullptr;
  };

  std::string errors;
  for (const config::RoutingRuleSpec& spec_rule : spec.rules) {
    auto rule = std::make_unique<Rule>();
    rule->name = spec_rule.name;
    rule->headers = spec_rule.headers;
    const bool ruleAdapters = !spec_rule.baseModel.empty() || spec_rule.loraFallback;
    if (!spec_rule.splitter.empty()) {
      const loader::PluginInstance* s = splitters(spec_rule.splitter);
      if (s == nullptr || s->type().traffic_splitter == nullptr) {
        errors += fmt::format("{}: routing: '{}' is not a traffic splitter plugin\n",
                              spec_rule.splitterWhere.str(), spec_rule.splitter);
        continue;
      }
      rule->splitter = s;
    }
    for (const config::RouteTargetSpec& t : spec_rule.targets) {
      Target& target = rule->targets.emplace_back();
      const Model* model = modelIndex(t.model);
      target.model = model ? model->name : t.model;
      if (model && model->adapter) {
        target.adapter = model->adapter.get();
      } else if (ruleAdapters) {
        // The rule's baseModel makes each of its undeclared targets an adapter of it.
        rule->adapters.push_back(
            r->makeAdapter(target.model, spec_rule.baseModel, spec_rule.loraFallback));
        target.adapter = rule->adapters.back().get();
      }
      target.decisions =
          &RoutingMetrics::get().rewriteDecision(rule->name, spec_rule.model, target.model);
    }
    for (size_t i = 0; i < rule->targets.size(); ++i) {
      const double w = spec_rule.targets[i].weight;
      rule->splitTargets.push_back(
          {sizeof(epp_split_target), loader::toStr(rule->targets[i].model), w});
      if (w > spec_rule.targets[rule->heaviest].weight) rule->heaviest = i;
    }
    for (const auto& st : rule->splitTargets) rule->splitTargetPtrs.push_back(&st);
    r->rulesByModel_[r->names_.key(spec_rule.model)].push_back(rule.get());
    r->rules_.push_back(std::move(rule));
  }
  if (!errors.empty()) {
    errors.pop_back();
    return common::Error{errors};
  }
  return std::shared_ptr<const Router>(std::move(r));
}

const Router::Rule* Router::matchRule(std::string_view key, const RouteRequest& request) const {
  auto it = rulesByModel_.find(key);
  if (it == rulesByModel_.end()) return nullptr;
  for (const Rule* rule : it->second) {
    bool all = true;
    for (const auto& [name, value] : rule->headers) {
      const std::string* got = findHeader(*request.headers, name);
      all = all && got != nullptr && *got == value;
    }
    if (all) return rule;
  }
  return nullptr;
}

size_t Router::split(const Rule& rule, const RouteRequest& request, std::string_view requested,
                     Route& route) const {
  if (rule.splitter == nullptr || rule.targets.size() == 1) return 0;
  const loader::PluginInstance& s = *rule.splitter;
  route.splitter = &s;
  uint64_t seed = request.seed && *request.seed ? (*request.seed)() : 0;
  SplitRequest view(request.requestId, request.path, request.model, requested, *request.headers,
                    request.candidates, seed);
  uint32_t chosen = UINT32_MAX;
  const int64_t start = steadyNs();
  epp_status status =
      s.type().traffic_splitter->split(s.pluginPtr(), view.view(), rule.splitTargetPtrs.data(),
                                       rule.splitTargetPtrs.size(), &chosen);
  route.splitterNs = steadyNs() - start;
  if (status != EPP_OK) {
    route.splitterFault = fmt::format("split failed with status {}", status);
  } else if (chosen >= rule.targets.size()) {
    route.splitterFault = fmt::format("split chose target {} of {}", chosen, rule.targets.size());
  } else {
    return chosen;
  }
  return rule.heaviest;
}

void Router::placeLora(const std::string& model, const Adapter& adapter,
                       const RouteRequest& request, Route& route) const {
  Placement where = placeAdapter(model, request.candidates);
  if (where != Placement::kNowhere) {
    route.loraAdapter = model;
    route.record.baseModel = adapter.base;
    return;
  }
  if (adapter.toBase != nullptr) {
    adapter.toBase->Increment();
    route.record.loraFallback = "base-model";
    route.targetModel = adapter.base;
    return;
  }
  adapter.rejected->Increment();
  route.record.loraFallback = "rejected";
  route.httpStatus = 503;
  route.errorCode = "ServiceUnavailable";
  route.errorMessage = fmt::format(
      "LoRA adapter {} is loaded on no endpoint and no endpoint has a free adapter slot{}", model,
      adapter.base.empty() ? "" : " (loraFallback is off)");
}

Route Router::route(const RouteRequest& request) const {
  Route route;
  RoutingRecord& rec = route.record;
  const std::string* header = findHeader(*request.headers, kRewriteHeader);
  rec.fromRewriteHeader = header != nullptr && !header->empty();
  std::string_view requested = rec.fromRewriteHeader ? std::string_view(*header) : request.model;
  rec.requestedModel = requested;

  std::optional<ResolvedName> resolved = names_.resolve(requested);
  const Model* model = resolved ? &models_[resolved->model] : nullptr;

  const Rule* rule = nullptr;
  bool ruleOnRequestedName = false;
  if (!rulesByModel_.empty()) {
    std::string folded;
    std::string_view key = requested;
    if (names_.caseInsensitive()) key = folded = names_.key(requested);
    rule = matchRule(key, request);
    ruleOnRequestedName = rule != nullptr;
    if (rule == nullptr && model != nullptr) rule = matchRule(names_.key(model->name), request);
  }
  // The resolution counts only when it was used (a rule on the name itself skips it).
  if (model != nullptr && !ruleOnRequestedName) {
    rec.resolvedModel = model->name;
    rec.resolvedBy = nameMatchName(resolved->how);
  }

  const Adapter* adapter = nullptr;
  if (rule != nullptr) {
    const Target& t = rule->targets[split(*rule, request, requested, route)];
    t.decisions->Increment();
    rec.rule = rule->name;
    if (route.splitter != nullptr) rec.splitter = route.splitter->name();
    rec.splitTarget = t.model;
    route.targetModel = t.model;
    adapter = t.adapter;
  } else if (model != nullptr) {
    route.targetModel = model->name;
    adapter = model->adapter.get();
  } else if (!models_.empty()) {
    route.targetModel = requested;
    route.httpStatus = 404;
    route.errorCode = "NotFound";
    route.errorMessage = fmt::format("model {} is not served here", requested);
    return route;
  } else {
    route.targetModel = requested;  // no model list: every name is served as is
  }

  if (adapter != nullptr) placeLora(route.targetModel, *adapter, request, route);
  rec.targetModel = route.targetModel;
  rec.bodyRewritten = route.ok() && route.targetModel != request.model;
  return route;
}

}  // namespace epp::routing

// The `routing` section: served models (names, aliases, LoRA adapters and their base
// models) and routing rules (model + headers -> weighted targets chosen by a traffic
// splitter plugin). Names are checked here against the same lookup the request path uses
// (host/routing/model_names.h), so a rule target or base model that would not resolve is a
// config error with its file:line:col, never a request-time 404.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "epp/abi.h"
#include "host/config/sections.h"
#include "host/routing/model_names.h"

namespace epp::config::sections {
namespace {

std::optional<ModelSpec> readModel(Diagnostics& diag, const Field& item) {
  ModelSpec model;
  model.where = item.where;
  if (item.node.IsScalar()) {
    auto name = readString(diag, item);
    if (!name) return std::nullopt;
    model.name = *name;
    return model;
  }
  MapReader map(diag, item, {"name", "aliases", "lora", "baseModel", "loraFallback"});
  if (!map.isMap()) return std::nullopt;
  auto f = map.required("name");
  if (!f) return std::nullopt;
  auto name = readString(diag, *f);
  if (!name) return std::nullopt;
  model.name = *name;
  model.where = f->where;
  if (auto a = map.get("aliases")) model.aliases = readStringList(diag, *a);
  std::optional<bool> lora;
  if (auto l = map.get("lora")) lora = readBool(diag, *l);
  if (auto b = map.get("baseModel")) {
    if (auto base = readString(diag, *b)) {
      model.baseModel = *base;
      model.baseModelWhere = b->where;
      if (lora == false) {
        diag.error(b->where, fmt::format("{}: a model with a baseModel is a LoRA adapter; drop "
                                         "`lora: false`",
                                         b->name()));
      }
    }
  }
  model.lora = lora.value_or(!model.baseModel.empty());
  if (auto fb = map.get("loraFallback")) {
    model.loraFallback = readBool(diag, *fb);
    if (model.loraFallback && !model.lora) {
      diag.error(
          fb->where,
          fmt::format("{}: only a LoRA adapter (lora: true or baseModel) falls back", fb->name()));
    }
  }
  return model;
}

std::optional<RouteTargetSpec> readTarget(Diagnostics& diag, const Field& item) {
  MapReader map(diag, item, {"model", "weight"});
  if (!map.isMap()) return std::nullopt;
  RouteTargetSpec target;
  auto f = map.required("model");
  if (!f) return std::nullopt;
  auto model = readString(diag, *f);
  if (!model) return std::nullopt;
  target.model = *model;
  target.where = f->where;
  if (auto w = map.get("weight")) {
    auto weight = readDouble(diag, *w);
    if (!weight) return std::nullopt;
    if (*weight < 0) {
      diag.error(w->where, fmt::format("{}: must be 0 or more", w->name()));
      return std::nullopt;
    }
    target.weight = *weight;
  }
  return target;
}

std::optional<RoutingRuleSpec> readRule(Diagnostics& diag, const Field& item,
                                        PickerConfig& config) {
  MapReader map(diag, item,
                {"name", "model", "headers", "splitter", "targets", "baseModel", "loraFallback"});
  if (!map.isMap()) return std::nullopt;
  RoutingRuleSpec rule;
  rule.where = item.where;
  bool ok = true;
  if (auto f = map.required("model")) {
    auto model = readString(diag, *f);
    ok = model.has_value();
    if (model) rule.model = *model;
    rule.where = rule.modelWhere = f->where;
  } else {
    ok = false;
  }
  rule.name = rule.model;
  if (auto f = map.get("name")) {
    auto name = readString(diag, *f);
    ok = name.has_value() && ok;
    if (name) rule.name = *name;
    rule.where = f->where;
  }
  if (auto f = map.get("headers")) {
    for (auto& [key, value] : readStringMap(diag, *f)) {
      std::string name = key;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      rule.headers.emplace_back(std::move(name), value);
    }
  }
  if (auto f = map.required("targets")) {
    double total = 0;
    for (const Field& t : readList(diag, *f)) {
      auto target = readTarget(diag, t);
      if (!target) {
        ok = false;
        continue;
      }
      total += target->weight;
      rule.targets.push_back(std::move(*target));
    }
    if (ok && rule.targets.empty()) {
      diag.error(f->where, fmt::format("{}: list at least one target", f->name()));
      ok = false;
    } else if (ok && !(total > 0)) {
      diag.error(f->where, fmt::format("{}: the weights add up to 0", f->name()));
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto f = map.get("splitter")) {
    if (auto name = readString(diag, *f)) {
      rule.splitter = *name;
      rule.splitterWhere = f->where;
      config.refs.push_back(PluginRefUse{*name, f->path, EPP_KIND_TRAFFIC_SPLITTER, f->where});
    }
  } else if (rule.targets.size() > 1) {
    diag.error(rule.where, fmt::format("{}: a rule with {} targets needs a splitter (the name "
                                       "of a traffic splitter plugin, e.g. weighted-splitter)",
                                       item.name(), rule.targets.size()));
    ok = false;
  }
  if (auto f = map.get("baseModel")) {
    if (auto base = readString(diag, *f)) {
      rule.baseModel = *base;
      rule.baseModelWhere = f->where;
    }
  }
  if (auto f = map.get("loraFallback")) rule.loraFallback = readBool(diag, *f);
  if (!ok) return std::nullopt;
  return rule;
}

// Names, aliases, base models and rule targets against the lookup requests will use.
class NameCheck {
 public:
  NameCheck(Diagnostics& diag, RoutingSpec& spec)
      : diag_(diag), spec_(spec), table_(spec.caseInsensitive) {}

  void run(const std::vector<Field>& modelFields) {
    for (size_t i = 0; i < spec_.models.size(); ++i) {
      const ModelSpec& m = spec_.models[i];
      if (auto taken = table_.addName(m.name, static_cast<int>(i))) {
        conflict(m.where, modelFields[i].name(), m.name, *taken);
      }
      for (const std::string& alias : m.aliases) {
        if (auto taken = table_.addAlias(alias, static_cast<int>(i))) {
          conflict(m.where, modelFields[i].name(), alias, *taken);
        }
      }
    }
    table_.finish();
    for (ModelSpec& m : spec_.models) {
      if (!m.baseModel.empty()) m.baseModel = base(m.baseModel, m.baseModelWhere, m.name);
    }
    for (size_t r = 0; r < spec_.rules.size(); ++r) checkRule(spec_.rules[r], r);
  }

 private:
  void conflict(const Location& where, const std::string& field, const std::string& name,
                int holder) {
    const ModelSpec& first = spec_.models[holder];
    diag_.error(where, fmt::format("{}: model name '{}' is already used by model '{}' (line {}){}",
                                   field, name, first.name, first.where.line,
                                   spec_.caseInsensitive ? " (names ignore case)" : ""));
  }

  // The base model's canonical name; a base must be served and not itself an adapter.
  std::string base(const std::string& name, const Location& where, const std::string& adapter) {
    if (spec_.models.empty()) return name;
    auto found = table_.resolve(name);
    if (!found) {
      diag_.error(where, fmt::format("routing: baseModel '{}' of '{}' is not in routing.models",
                                     name, adapter));
      return name;
    }
    const ModelSpec& m = spec_.models[found->model];
    if (m.lora) {
      diag_.error(where, fmt::format("routing: baseModel '{}' of '{}' is a LoRA adapter itself",
                                     name, adapter));
    }
    return m.name;
  }

  void checkRule(RoutingRuleSpec& rule, size_t index) {
    for (size_t r = 0; r < index; ++r) {
      const RoutingRuleSpec& earlier = spec_.rules[r];
      if (table_.key(earlier.model) == table_.key(rule.model) && earlier.headers == rule.headers) {
        diag_.error(rule.where,
                    fmt::format("routing: rule '{}' never matches: rule '{}' (line {}) matches "
                                "the same model and headers first",
                                rule.name, earlier.name, earlier.where.line));
      }
    }
    if (!rule.baseModel.empty()) {
      rule.baseModel = base(rule.baseModel, rule.baseModelWhere, rule.name);
    }
    if (spec_.models.empty()) return;
    for (RouteTargetSpec& t : rule.targets) {
      auto found = table_.resolve(t.model);
      if (!found) {
        diag_.error(t.where, fmt::format("routing: target model '{}' of rule '{}' is not in "
                                         "routing.models",
                                         t.model, rule.name));
        continue;
      }
      t.model = spec_.models[found->model].name;
    }
  }

  Diagnostics& diag_;
  RoutingSpec& spec_;
  routing::ModelNameTable table_;
};

}  // namespace

void parseRouting(Diagnostics& diag, const Field& field, PickerConfig& config) {
  MapReader routing(diag, field, {"models", "caseInsensitive", "modelNameHeader", "rules"},
                    /*nullIsEmpty=*/true);
  RoutingSpec& spec = config.routing;
  spec.where = field.where;
  if (auto f = routing.get("caseInsensitive")) {
    if (auto on = readBool(diag, *f)) spec.caseInsensitive = *on;
  }
  if (auto f = routing.get("modelNameHeader")) {
    if (auto on = readBool(diag, *f)) spec.modelNameHeader = *on;
  }
  std::vector<Field> modelFields;
  if (auto models = routing.get("models")) {
    std::unordered_map<std::string, int> seen;  // name -> line
    for (const Field& item : readList(diag, *models, /*nullIsEmpty=*/true)) {
      auto model = readModel(diag, item);
      if (!model) continue;
      if (!seen.emplace(model->name, model->where.line).second) {
        diag.error(model->where,
                   fmt::format("{}: model '{}' is listed twice", item.name(), model->name));
        continue;
      }
      spec.models.push_back(std::move(*model));
      modelFields.push_back(item);
    }
  }
  if (auto rules = routing.get("rules")) {
    std::unordered_map<std::string, int> named;  // written rule names -> line
    for (const Field& item : readList(diag, *rules, /*nullIsEmpty=*/true)) {
      auto rule = readRule(diag, item, config);
      if (!rule) continue;
      if (rule->name != rule->model && !named.emplace(rule->name, rule->where.line).second) {
        diag.error(rule->where, fmt::format("{}: rule name '{}' is used twice (first at line {})",
                                            item.name(), rule->name, named[rule->name]));
        continue;
      }
      spec.rules.push_back(std::move(*rule));
    }
  }
  NameCheck(diag, spec).run(modelFields);
}

}  // namespace epp::config::sections

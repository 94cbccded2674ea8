// decisionTrees: the shape of each tree, its nodes and their predicates. References
// (profiles, filters, node names, cycles) are checked by resolveConfig.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

#include "host/config/sections.h"

namespace epp::config::sections {
namespace {

using Subject = PredicateSpec::Subject;
using Op = PredicateSpec::Op;

struct OpName {
  std::string_view name;
  Op op;
};

constexpr OpName kOps[] = {{"present", Op::kPresent}, {"equals", Op::kEquals}, {"in", Op::kIn},
                           {"prefix", Op::kPrefix},   {"gt", Op::kGt},         {"ge", Op::kGe},
                           {"lt", Op::kLt},           {"le", Op::kLe}};

bool isNumeric(Subject subject) {
  return subject == Subject::kPromptLength || subject == Subject::kPriority;
}

std::vector<std::string_view> opsOf(Subject subject) {
  switch (subject) {
    case Subject::kHeader:
    case Subject::kLora:
      return {"present", "equals", "in", "prefix"};
    case Subject::kModel:
      return {"equals", "in", "prefix"};
    case Subject::kPromptLength:
      return {"gt", "ge", "lt", "le"};
    case Subject::kPriority:
      return {"equals", "gt", "ge", "lt", "le"};
  }
  return {};
}

// HTTP header names are tokens (RFC 9110); Envoy's pseudo-headers start with ':'.
bool isHeaderName(std::string_view name) {
  if (!name.empty() && name.front() == ':') name.remove_prefix(1);
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

std::string lowerCase(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// Reads the one operator of `map` (whose keys were checked against opsOf(subject)).
bool readOperator(Diagnostics& diag, const MapReader& map, PredicateSpec& spec) {
  std::vector<const MapEntry*> ops;
  for (const MapEntry& entry : map.entries()) {
    if (entry.key != "header") ops.push_back(&entry);
  }
  if (ops.size() != 1) {
    auto names = opsOf(spec.subject);
    diag.error(map.field().where, fmt::format("{}: needs exactly one operator of: {}",
                                              map.field().name(), fmt::join(names, ", ")));
    return false;
  }
  const MapEntry& entry = *ops.front();
  const Field& value = entry.value;
  for (const OpName& op : kOps) {
    if (op.name == entry.key) spec.op = op.op;
  }
  switch (spec.op) {
    case Op::kPresent: {
      auto present = readBool(diag, value);
      if (!present) return false;
      spec.op = *present ? Op::kPresent : Op::kAbsent;
      return true;
    }
    case Op::kIn: {
      spec.values = readStringList(diag, value);
      if (spec.values.empty() && value.node.IsSequence() && value.node.size() == 0) {
        diag.error(value.where, value.name() + ": needs at least one value");
      }
      return !spec.values.empty();
    }
    case Op::kEquals:
    case Op::kPrefix:
      if (!isNumeric(spec.subject)) {
        auto text = readString(diag, value);
        if (text) spec.values = {*text};
        return text.has_value();
      }
      break;
    default:
      break;
  }
  int64_t min = spec.subject == Subject::kPromptLength ? 0 : std::numeric_limits<int32_t>::min();
  auto number = readInt(diag, value, min, std::numeric_limits<int32_t>::max());
  if (number) spec.number = static_cast<double>(*number);
  return number.has_value();
}

std::optional<PredicateSpec> readPredicate(Diagnostics& diag, const Field& field) {
  PredicateSpec spec;
  if (!field.isNull() && field.node.IsMap() && field.node["header"]) {
    spec.subject = Subject::kHeader;
    std::vector<std::string_view> keys = opsOf(Subject::kHeader);
    keys.insert(keys.begin(), "header");
    MapReader map(diag, field, keys);
    auto header = map.get("header");
    auto name = header ? readString(diag, *header) : std::nullopt;
    if (!name) return std::nullopt;
    if (!isHeaderName(*name)) {
      diag.error(header->where,
                 fmt::format("{}: '{}' is not a valid header name", header->name(), *name));
      return std::nullopt;
    }
    spec.header = lowerCase(*name);
    if (!readOperator(diag, map, spec)) return std::nullopt;
    return spec;
  }
  static constexpr std::pair<std::string_view, Subject> kSubjects[] = {
      {"model", Subject::kModel},
      {"lora", Subject::kLora},
      {"promptLength", Subject::kPromptLength},
      {"priority", Subject::kPriority}};
  MapReader map(diag, field, {"header", "model", "lora", "promptLength", "priority"});
  if (!map.isMap()) return std::nullopt;
  if (map.entries().size() != 1) {
    diag.error(field.where,
               fmt::format("{}: needs exactly one of header, model, lora, promptLength, priority",
                           field.name()));
    return std::nullopt;
  }
  const MapEntry& entry = map.entries().front();
  for (const auto& [name, subject] : kSubjects) {
    if (name == entry.key) spec.subject = subject;
  }
  MapReader ops(diag, entry.value, opsOf(spec.subject));
  if (!ops.isMap()) return std::nullopt;
  if (!readOperator(diag, ops, spec)) return std::nullopt;
  return spec;
}

std::optional<TreeNodeSpec> readNode(Diagnostics& diag, const Field& item) {
  MapReader map(diag, item, {"name", "filter", "predicate", "onSuccess", "onFailure"});
  if (!map.isMap()) return std::nullopt;
  TreeNodeSpec node;
  node.where = item.where;
  auto name = map.required("name");
  auto text = name ? readString(diag, *name) : std::nullopt;
  if (!text) return std::nullopt;
  node.name = *text;
  node.where = name->where;
  bool ok = true;
  auto filter = map.get("filter");
  auto predicate = map.get("predicate");
  if (filter && predicate) {
    diag.error(item.where, fmt::format("{}: node '{}' has both a filter and a predicate",
                                       item.name(), node.name));
    ok = false;
  } else if (!filter && !predicate) {
    diag.error(item.where,
               fmt::format("{}: node '{}' needs a filter or a predicate", item.name(), node.name));
    ok = false;
  }
  if (filter) {
    node.filterWhere = filter->where;
    auto ref = readString(diag, *filter);
    if (ref) node.filter = *ref;
    ok = ok && ref.has_value();
  }
  if (predicate) {
    node.predicate = readPredicate(diag, *predicate);
    ok = ok && node.predicate.has_value();
  }
  for (auto [key, target, where] :
       {std::tuple{"onSuccess", &node.onSuccess, &node.onSuccessWhere},
        std::tuple{"onFailure", &node.onFailure, &node.onFailureWhere}}) {
    if (auto f = map.get(key)) {
      *where = f->where;
      auto next = readString(diag, *f);
      if (next) *target = *next;
      ok = ok && next.has_value();
    }
  }
  if (!ok) return std::nullopt;
  return node;
}

}  // namespace

void parseDecisionTrees(Diagnostics& diag, const Field& field, PickerConfig& config) {
  for (const Field& item : readList(diag, field, /*nullIsEmpty=*/true)) {
    MapReader map(diag, item, {"profile", "root", "nodes"});
    if (!map.isMap()) continue;
    DecisionTreeSpec tree;
    tree.where = item.where;
    bool ok = true;
    if (auto f = map.required("profile")) {
      auto text = readString(diag, *f);
      if (text) tree.profile = *text;
      tree.where = f->where;
      ok = text.has_value();
    } else {
      ok = false;
    }
    if (auto f = map.required("root")) {
      auto text = readString(diag, *f);
      if (text) tree.root = *text;
      tree.rootWhere = f->where;
      ok = ok && text.has_value();
    } else {
      ok = false;
    }
    if (auto f = map.required("nodes")) {
      auto items = readList(diag, *f);
      if (items.empty() && f->node.IsSequence()) {
        diag.error(f->where, f->name() + ": needs at least one node");
      }
      for (const Field& nodeItem : items) {
        auto node = readNode(diag, nodeItem);
        if (node) {
          tree.nodes.push_back(std::move(*node));
        } else {
          ok = false;
        }
      }
      ok = ok && !tree.nodes.empty();
    } else {
      ok = false;
    }
    if (ok) config.decisionTrees.push_back(std::move(tree));
  }
}

}  // namespace epp::config::sections

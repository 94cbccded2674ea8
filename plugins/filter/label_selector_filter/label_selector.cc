#include "plugins/filter/label_selector_filter/label_selector.h"

#include <algorithm>

namespace epp::plugins {
namespace {

constexpr std::string_view kRoleLabel = "llm-d.ai/role";

std::string locationOf(epp_param_host_ptr node) {
  return std::string(cpp::view(cpp::host().param_location(node)));
}

[[noreturn]] void fail(epp_param_host_ptr node, const std::string& message) {
  throw cpp::Error(locationOf(node) + ": " + message);
}

std::string scalarString(epp_param_host_ptr node, const std::string& what) {
  epp_str s{};
  if (cpp::host().param_kind(node) != EPP_PARAM_SCALAR ||
      cpp::host().param_string(node, &s) != EPP_OK) {
    fail(node, what + " must be a string");
  }
  return std::string(cpp::view(s));
}

LabelRequirement::Op parseOperator(const std::string& op, epp_param_host_ptr node) {
  if (op == "In") return LabelRequirement::Op::kIn;
  if (op == "NotIn") return LabelRequirement::Op::kNotIn;
  if (op == "Exists") return LabelRequirement::Op::kExists;
  if (op == "DoesNotExist") return LabelRequirement::Op::kDoesNotExist;
  fail(node, "operator \"" + op + "\" is not one of In, NotIn, Exists, DoesNotExist");
}

// One entry of matchExpressions: {key, operator, values}, with Kubernetes' rules.
LabelRequirement parseExpression(epp_param_host_ptr node) {
  if (cpp::host().param_kind(node) != EPP_PARAM_MAP) {
    fail(node, "each matchExpressions entry must be a map of key, operator and values");
  }
  cpp::Params entry(node);
  LabelRequirement r;
  r.key = entry.getString("key", "");
  if (r.key.empty()) fail(node, "a matchExpressions entry needs a non-empty \"key\"");
  const std::string op = entry.getString("operator", "");
  r.op = parseOperator(op, entry.getNode("operator").value_or(node));
  r.values = entry.getStringList("values");
  entry.finish();
  const bool needsValues =
      r.op == LabelRequirement::Op::kIn || r.op == LabelRequirement::Op::kNotIn;
  if (needsValues && r.values.empty()) {
    fail(node, "operator " + op + " needs at least one value");
  }
  if (!needsValues && !r.values.empty()) fail(node, "operator " + op + " takes no values");
  return r;
}

}  // namespace

bool LabelRequirement::matches(std::optional<std::string_view> value) const {
  auto listed = [&] {
    return value && std::find(values.begin(), values.end(), *value) != values.end();
  };
  switch (op) {
    case Op::kIn:
      return listed();
    case Op::kNotIn:
      return !listed();
    case Op::kExists:
      return value.has_value();
    case Op::kDoesNotExist:
      return !value.has_value();
    case Op::kInOrAbsent:
      return !value.has_value() || listed();
  }
  return false;
}

LabelSelector LabelSelector::fromSelectorParams(const cpp::Params& params) {
  LabelSelector selector;
  if (auto labels = params.getNode("matchLabels")) {
    if (cpp::host().param_kind(*labels) != EPP_PARAM_MAP) {
      fail(*labels, "parameter \"matchLabels\" must be a map of label to value");
    }
    const size_t n = cpp::host().param_size(*labels);
    for (size_t i = 0; i < n; ++i) {
      epp_param_host_ptr child = nullptr;
      epp_str key{};
      cpp::host().param_at(*labels, i, &child, &key);
      LabelRequirement r;
      r.key = std::string(cpp::view(key));
      if (r.key.empty()) fail(child, "matchLabels keys must not be empty");
      r.values = {scalarString(child, "matchLabels value of \"" + r.key + "\"")};
      selector.requirements_.push_back(std::move(r));
    }
  }
  if (auto expressions = params.getNode("matchExpressions")) {
    if (cpp::host().param_kind(*expressions) != EPP_PARAM_LIST) {
      fail(*expressions, "parameter \"matchExpressions\" must be a list");
    }
    const size_t n = cpp::host().param_size(*expressions);
    for (size_t i = 0; i < n; ++i) {
      epp_param_host_ptr child = nullptr;
      epp_str ignored{};
      cpp::host().param_at(*expressions, i, &child, &ignored);
      selector.requirements_.push_back(parseExpression(child));
    }
  }
  return selector;
}

LabelSelector LabelSelector::fromByLabelParams(const cpp::Params& params) {
  LabelRequirement r;
  r.key = params.getString("label", "");
  if (r.key.empty()) {
    throw cpp::Error(params.location("label") + ": parameter \"label\" is required");
  }
  r.values = params.getStringList("validValues");
  r.op = params.getBool("allowsNoLabel", false) ? LabelRequirement::Op::kInOrAbsent
                                                : LabelRequirement::Op::kIn;
  if (r.values.empty() && r.op == LabelRequirement::Op::kIn) {
    throw cpp::Error(params.location() +
                     ": \"validValues\" is empty and \"allowsNoLabel\" is false: the filter "
                     "would drop every endpoint");
  }
  LabelSelector selector;
  selector.requirements_.push_back(std::move(r));
  return selector;
}

bool LabelSelector::matches(const cpp::Endpoint& endpoint) const {
  for (const LabelRequirement& r : requirements_) {
    std::optional<std::string_view> value = endpoint.label(r.key);
    // Sources without labels may still report the disaggregation role as a field.
    if (!value && r.key == kRoleLabel && !endpoint.role().empty()) value = endpoint.role();
    if (!r.matches(value)) return false;
  }
  return true;
}

}  // namespace epp::plugins

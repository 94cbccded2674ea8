#include "host/scheduling/predicate.h"

#include <algorithm>
#include <optional>
#include <string>

#include "host/scheduling/prefix_hasher.h"

namespace epp::scheduling {
namespace {

using Op = config::PredicateSpec::Op;
using Subject = config::PredicateSpec::Subject;

bool compareText(const config::PredicateSpec& p, std::optional<std::string_view> value) {
  switch (p.op) {
    case Op::kPresent:
      return value.has_value() && !value->empty();
    case Op::kAbsent:
      return !value.has_value() || value->empty();
    case Op::kEquals:
      return value && !p.values.empty() && *value == p.values.front();
    case Op::kIn:
      return value && std::find(p.values.begin(), p.values.end(), *value) != p.values.end();
    case Op::kPrefix:
      return value && !p.values.empty() &&
             value->substr(0, p.values.front().size()) == p.values.front();
    default:
      return false;
  }
}

bool compareNumber(const config::PredicateSpec& p, double v) {
  switch (p.op) {
    case Op::kGt:
      return v > p.number;
    case Op::kGe:
      return v >= p.number;
    case Op::kLt:
      return v < p.number;
    case Op::kLe:
      return v <= p.number;
    case Op::kEquals:
      return v == p.number;
    default:
      return false;
  }
}

}  // namespace

bool evaluatePredicate(const config::PredicateSpec& p, const RequestContext& request) {
  const RequestFields& f = request.fields();
  switch (p.subject) {
    case Subject::kHeader:
      return compareText(p, request.header(p.header));
    case Subject::kModel:
      return compareText(p, std::string_view(f.targetModel));
    case Subject::kLora:
      return compareText(
          p, f.loraAdapter.empty() ? std::nullopt : std::optional<std::string_view>(f.loraAdapter));
    case Subject::kPromptLength:
      return compareNumber(p, static_cast<double>(f.prompt.size() / kCharsPerToken));
    case Subject::kPriority:
      return compareNumber(p, static_cast<double>(f.priority));
  }
  return false;
}

}  // namespace epp::scheduling

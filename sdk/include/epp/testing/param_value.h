// File: epp/testing/param_value.h
//
// An in-memory parameter tree for plugin unit tests: what the host builds from YAML.
//
//   ParamValue p = ParamValue::map({{"threshold", 128}, {"modes", ParamValue::list({"a"})}});
//
// Scalars keep their text, as YAML does, so "200ms" reads as a duration and 5 as an int, a
// double or a string. Each node's location is its path ("params.modes[0]").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace epp::testing {

class ParamValue {
 public:
  enum class Kind { kNull, kScalar, kList, kMap };

  ParamValue() = default;                                                    // null
  ParamValue(const char* s) : kind_(Kind::kScalar), text_(s) {}              // NOLINT
  ParamValue(std::string s) : kind_(Kind::kScalar), text_(std::move(s)) {}   // NOLINT
  ParamValue(bool b) : kind_(Kind::kScalar), text_(b ? "true" : "false") {}  // NOLINT
  ParamValue(int v) : kind_(Kind::kScalar), text_(std::to_string(v)) {}      // NOLINT
  ParamValue(int64_t v) : kind_(Kind::kScalar), text_(std::to_string(v)) {}  // NOLINT
  ParamValue(double v) : kind_(Kind::kScalar), text_(formatDouble(v)) {}     // NOLINT

  static ParamValue list(std::initializer_list<ParamValue> items) {
    ParamValue v;
    v.kind_ = Kind::kList;
    for (const auto& item : items) v.items_.emplace_back("", item);
    return v;
  }
  static ParamValue map(std::initializer_list<std::pair<std::string, ParamValue>> entries) {
    ParamValue v;
    v.kind_ = Kind::kMap;
    v.items_.assign(entries.begin(), entries.end());
    return v;
  }

  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }
  const std::vector<std::pair<std::string, ParamValue>>& items() const { return items_; }

 private:
  static std::string formatDouble(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s += '0';
    return s;
  }

  Kind kind_ = Kind::kNull;
  std::string text_;
  std::vector<std::pair<std::string, ParamValue>> items_;
};

}  // namespace epp::testing

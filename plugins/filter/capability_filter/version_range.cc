#include "plugins/filter/capability_filter/version_range.h"

#include <charconv>

#include "plugins/common/text_values.h"

namespace epp::plugins {

std::optional<ModelVersion> ModelVersion::parse(std::string_view text) {
  text = text::trim(text);
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V')) text.remove_prefix(1);
  ModelVersion version;
  size_t count = 0;
  while (true) {
    if (count == kMaxComponents || text.empty()) return std::nullopt;
    uint64_t part = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), part);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    version.parts_[count++] = part;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    if (text.empty()) return version;
    if (text.front() != '.') return std::nullopt;
    text.remove_prefix(1);
  }
}

int ModelVersion::compare(const ModelVersion& other) const {
  for (size_t i = 0; i < kMaxComponents; ++i) {
    if (parts_[i] != other.parts_[i]) return parts_[i] < other.parts_[i] ? -1 : 1;
  }
  return 0;
}

std::optional<VersionRange> VersionRange::parse(std::string_view text, std::string* error) {
  VersionRange range;
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {">=", Op::kGe}, {"<=", Op::kLe}, {"==", Op::kEq}, {"!=", Op::kNe},
      {">", Op::kGt},  {"<", Op::kLt},  {"=", Op::kEq}};
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const size_t stop = comma == std::string_view::npos ? text.size() : comma;
    std::string_view item = text::trim(text.substr(start, stop - start));
    start = stop + 1;
    if (item.empty()) {
      *error = "empty constraint in version range \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    Op op = Op::kEq;
    for (const auto& [symbol, value] : kOps) {
      if (item.substr(0, symbol.size()) == symbol) {
        op = value;
        item.remove_prefix(symbol.size());
        break;
      }
    }
    std::optional<ModelVersion> version = ModelVersion::parse(item);
    if (!version) {
      *error = "\"" + std::string(text::trim(item)) + "\" in version range \"" + std::string(text) +
               "\" is not a version like 1.2 or v2.0.1";
      return std::nullopt;
    }
    range.constraints_.push_back({op, *version});
  }
  return range;
}

bool VersionRange::contains(const ModelVersion& version) const {
  for (const Constraint& c : constraints_) {
    const int cmp = version.compare(c.version);
    bool ok = false;
    switch (c.op) {
      case Op::kEq:
        ok = cmp == 0;
        break;
      case Op::kNe:
        ok = cmp != 0;
        break;
      case Op::kLt:
        ok = cmp < 0;
        break;
      case Op::kLe:
        ok = cmp <= 0;
        break;
      case Op::kGt:
        ok = cmp > 0;
        break;
      case Op::kGe:
        ok = cmp >= 0;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace epp::plugins

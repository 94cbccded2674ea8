#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace epp::plugins {

// A model version as endpoints label it: up to four dot-separated numbers with an optional
// leading "v" ("1", "1.2", "v2.0.1"). Missing components count as 0, so "1.2" == "1.2.0".
class ModelVersion {
 public:
  static constexpr size_t kMaxComponents = 4;

  static std::optional<ModelVersion> parse(std::string_view text);

  // <0, 0, >0 as this is older than, equal to or newer than `other`.
  int compare(const ModelVersion& other) const;

 private:
  std::array<uint64_t, kMaxComponents> parts_{};
};

// A version range: comma-separated constraints that must all hold, each an operator
// (>=, >, <=, <, ==, =, !=; none means ==) and a version: ">=1.2,<2", "1.4.1", "!=1.3".
class VersionRange {
 public:
  // nullopt with `*error` set to the reason when the text is not a range.
  static std::optional<VersionRange> parse(std::string_view text, std::string* error);

  bool contains(const ModelVersion& version) const;

 private:
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  struct Constraint {
    Op op;
    ModelVersion version;
  };
  std::vector<Constraint> constraints_;
};

}  // namespace epp::plugins

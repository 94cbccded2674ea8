// File: host/flowcontrol/objectives.h
//
// Request priority from InferenceObjectives: header x-gateway-inference-objective names an
// objective; its priority (default 0) orders flow-control bands and marks a request
// sheddable when negative. A missing header or an unknown name gives priority 0, as the
// reference does. Built once per config snapshot; lookups do not allocate.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "host/config/picker_config.h"

namespace epp::flowcontrol {

inline constexpr char kObjectiveHeader[] = "x-gateway-inference-objective";

// The reference's rule (util/request/sheddable.go): only negative priorities may be shed.
inline bool isSheddable(int32_t priority) { return priority < 0; }

struct ObjectivePriority {
  int32_t priority = 0;
  bool known = false;  // false: no such objective (priority 0)
};

class Objectives {
 public:
  Objectives() = default;
  explicit Objectives(const std::vector<config::ObjectiveSpec>& specs);

  ObjectivePriority lookup(std::string_view name) const;
  size_t size() const { return byName_.size(); }

 private:
  // Transparent hashing: look up a header's string_view without building a std::string.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> byName_;
};

}  // namespace epp::flowcontrol

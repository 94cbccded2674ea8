// File: plugins/profile/adaptive_profile_handler/adaptive_rules.h
//
// The decision of adaptive-profile-handler, without the ABI: rules in order, the first that
// holds names the profile, else the default. A request rule tests the request (priority at
// least N); a pool rule tests a signal of the pool (mean KV-cache use, waiting queue or
// in-flight requests per endpoint) with hysteresis: it turns on above `enterAbove`, off
// below `exitBelow`, and neither sooner than `minDwellNs` after its last change, so a signal
// hovering around one threshold does not flap the choice.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace epp::plugins::adaptive {

enum class Signal { kKvCacheUtilization, kQueueDepth, kInflight };

// Parses "kvCacheUtilization", "queueDepth", "inflight"; nullopt otherwise.
std::optional<Signal> parseSignal(std::string_view name);
const char* signalName(Signal s);

struct Rule {
  std::string profile;
  // A request rule when set; a pool rule otherwise.
  std::optional<int32_t> priorityAtLeast;
  Signal signal = Signal::kKvCacheUtilization;
  double enterAbove = 0;
  double exitBelow = 0;  // <= enterAbove
};

// The pool's signals, each a mean over its endpoints.
struct PoolSignals {
  double kvCacheUtilization = 0;
  double queueDepth = 0;
  double inflight = 0;
  double get(Signal s) const;
};

// What one evaluation decided.
struct Choice {
  size_t rule = SIZE_MAX;  // index of the rule that chose, SIZE_MAX: the default
  const std::string* profile = nullptr;
  // The pool rules' choice changed with this evaluation: from -> to (profile names).
  std::optional<std::pair<std::string, std::string>> switched;
};

class Rules {
 public:
  Rules(std::vector<Rule> rules, std::string defaultProfile, int64_t minDwellNs);

  // Updates the pool rules' states from `pool` at `nowNs`, then picks for a request of
  // `priority`. Safe to call from many threads.
  Choice choose(int32_t priority, const PoolSignals& pool, int64_t nowNs);

  const std::vector<Rule>& rules() const { return rules_; }
  const std::string& defaultProfile() const { return default_; }
  // The profile the pool rules choose now (no request rule applied).
  std::string poolChoice() const;

 private:
  const std::string& poolChoiceLocked() const;

  std::vector<Rule> rules_;
  std::string default_;
  int64_t minDwellNs_;
  mutable std::mutex mutex_;
  std::vector<bool> on_;            // per rule: a pool rule's state
  std::vector<int64_t> changedNs_;  // per rule: when that state last changed
};

}  // namespace epp::plugins::adaptive

#include "plugins/profile/adaptive_profile_handler/adaptive_rules.h"

#include <limits>

namespace epp::plugins::adaptive {

std::optional<Signal> parseSignal(std::string_view name) {
  if (name == "kvCacheUtilization") return Signal::kKvCacheUtilization;
  if (name == "queueDepth") return Signal::kQueueDepth;
  if (name == "inflight") return Signal::kInflight;
  return std::nullopt;
}

const char* signalName(Signal s) {
  switch (s) {
    case Signal::kKvCacheUtilization:
      return "kvCacheUtilization";
    case Signal::kQueueDepth:
      return "queueDepth";
    case Signal::kInflight:
      return "inflight";
  }
  return "?";
}

double PoolSignals::get(Signal s) const {
  switch (s) {
    case Signal::kKvCacheUtilization:
      return kvCacheUtilization;
    case Signal::kQueueDepth:
      return queueDepth;
    case Signal::kInflight:
      return inflight;
  }
  return 0;
}

Rules::Rules(std::vector<Rule> rules, std::string defaultProfile, int64_t minDwellNs)
    : rules_(std::move(rules)),
      default_(std::move(defaultProfile)),
      minDwellNs_(minDwellNs),
      on_(rules_.size(), false),
      // Never changed: the first change is not held back by the dwell time.
      changedNs_(rules_.size(), std::numeric_limits<int64_t>::min() / 2) {}

const std::string& Rules::poolChoiceLocked() const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (!rules_[i].priorityAtLeast && on_[i]) return rules_[i].profile;
  }
  return default_;
}

std::string Rules::poolChoice() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return poolChoiceLocked();
}

Choice Rules::choose(int32_t priority, const PoolSignals& pool, int64_t nowNs) {
  Choice out;
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string& before = poolChoiceLocked();
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    if (r.priorityAtLeast || nowNs - changedNs_[i] < minDwellNs_) continue;
    double value = pool.get(r.signal);
    bool next = on_[i] ? value >= r.exitBelow : value > r.enterAbove;
    if (next != on_[i]) {
      on_[i] = next;
      changedNs_[i] = nowNs;
    }
  }
  const std::string& after = poolChoiceLocked();
  if (before != after) out.switched.emplace(before, after);
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    bool holds = r.priorityAtLeast ? priority >= *r.priorityAtLeast : on_[i];
    if (holds) {
      out.rule = i;
      out.profile = &r.profile;
      return out;
    }
  }
  out.profile = &default_;
  return out;
}

}  // namespace epp::plugins::adaptive

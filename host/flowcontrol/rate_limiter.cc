#include "host/flowcontrol/rate_limiter.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <algorithm>
#include <cmath>

#include "host/common/metrics_registry.h"

namespace epp::flowcontrol {
namespace {

using config::RateLimitRule;

std::string fingerprint(const RateLimitRule& r) {
  return r.algorithm == RateLimitRule::Algorithm::kTokenBucket
             ? fmt::format("tb:{}:{}", r.rate, r.burst)
             : fmt::format("sw:{}:{}", r.maxRequests, r.windowNs);
}

std::string fingerprint(const config::RateLimitSpec& s) {
  std::string out = fmt::format("{}\n{}\n{}\n{}\n{}", s.name, s.keyHeader, s.defaultKey, s.maxKeys,
                                fingerprint(s.rule));
  for (const auto& [key, rule] : s.overrides) out += "\n" + key + "=" + fingerprint(rule);
  return out;
}

prometheus::Family<prometheus::Counter>& refusals() {
  static auto& family = prometheus::BuildCounter()
                            .Name("eppd_rate_limited_requests_total")
                            .Help("Requests refused with 429 by a rateLimits entry, by limit")
                            .Register(common::metricsRegistry());
  return family;
}

}  // namespace

RateLimiter::RateLimiter(config::RateLimitSpec spec) : spec_(std::move(spec)) {}

const RateLimitRule& RateLimiter::ruleFor(std::string_view key) const {
  if (!spec_.overrides.empty()) {
    auto it = spec_.overrides.find(std::string(key));
    if (it != spec_.overrides.end()) return it->second;
  }
  return spec_.rule;
}

RateLimiter::KeyState& RateLimiter::stateFor(std::string_view key, const RateLimitRule& rule,
                                             int64_t nowNs) {
  auto it = keys_.find(std::string(key));
  if (it != keys_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  // Bounded memory: a new key beyond maxKeys pushes out the key seen least recently (it
  // starts over with a full budget if it comes back).
  if (keys_.size() >= static_cast<size_t>(spec_.maxKeys)) {
    keys_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.emplace_front(key);
  KeyState& state = keys_[lru_.front()];
  state.lru = lru_.begin();
  state.tokens = rule.burst;
  state.refilledNs = nowNs;
  return state;
}

std::optional<int64_t> RateLimiter::tryAcquire(std::string_view key, int64_t nowNs) {
  const RateLimitRule& rule = ruleFor(key);
  std::lock_guard lock(mutex_);
  KeyState& s = stateFor(key, rule, nowNs);
  if (rule.algorithm == RateLimitRule::Algorithm::kTokenBucket) {
    double elapsed = static_cast<double>(std::max<int64_t>(0, nowNs - s.refilledNs)) / 1e9;
    s.tokens = std::min(rule.burst, s.tokens + elapsed * rule.rate);
    s.refilledNs = std::max(s.refilledNs, nowNs);
    if (s.tokens >= 1.0) {
      s.tokens -= 1.0;
      return std::nullopt;
    }
    return static_cast<int64_t>(std::ceil((1.0 - s.tokens) / rule.rate * 1e9));
  }
  // Sliding window: a ring of the last maxRequests admission times. Full and its oldest
  // entry still inside the window: refused until that entry leaves it.
  auto cap = static_cast<size_t>(rule.maxRequests);
  if (s.log.size() < cap) {
    s.log.push_back(nowNs);
    return std::nullopt;
  }
  int64_t oldest = s.log[s.head];
  if (nowNs - oldest < rule.windowNs) return oldest + rule.windowNs - nowNs;
  s.log[s.head] = nowNs;
  s.head = (s.head + 1) % cap;
  return std::nullopt;
}

size_t RateLimiter::trackedKeys() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

RateLimiters& RateLimiters::global() {
  static RateLimiters instance;
  return instance;
}

std::vector<std::shared_ptr<RateLimiter>> RateLimiters::acquire(
    const std::vector<config::RateLimitSpec>& specs) {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<RateLimiter>> out;
  out.reserve(specs.size());
  for (const auto& spec : specs) {
    std::string key = fingerprint(spec);
    std::shared_ptr<RateLimiter> limiter = bySpec_[key].lock();
    if (!limiter) {
      limiter = std::make_shared<RateLimiter>(spec);
      bySpec_[key] = limiter;
    }
    out.push_back(std::move(limiter));
  }
  std::erase_if(bySpec_, [](const auto& entry) { return entry.second.expired(); });
  return out;
}

std::string RateLimitRefusal::retryAfterSeconds() const {
  return std::to_string(std::max<int64_t>(1, (retryAfterNs + 999'999'999) / 1'000'000'000));
}

std::optional<RateLimitRefusal> checkRateLimits(
    const std::vector<std::shared_ptr<RateLimiter>>& limiters,
    const std::vector<std::pair<std::string, std::string>>& headers, int64_t nowNs) {
  for (const auto& limiter : limiters) {
    const config::RateLimitSpec& spec = limiter->spec();
    std::string_view key = spec.defaultKey;
    for (const auto& [name, value] : headers) {
      if (name == spec.keyHeader && !value.empty()) {
        key = value;
        break;
      }
    }
    if (auto wait = limiter->tryAcquire(key, nowNs)) {
      refusals().Add({{"limit", spec.name}}).Increment();
      return RateLimitRefusal{limiter.get(), std::string(key), *wait};
    }
  }
  return std::nullopt;
}

}  // namespace epp::flowcontrol

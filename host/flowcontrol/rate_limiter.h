// File: host/flowcontrol/rate_limiter.h
//
// The config's `rateLimits:`: per-key request limits checked before a request may queue.
// A token bucket (rate per second, burst) or a sliding window (at most N requests in any
// window of length W), per key: the value of the limit's key header. Over the limit the
// request is refused with 429 and `retry-after` (whole seconds until it would pass).
//
// Limiters live across config reloads: RateLimiters::acquire hands out the limiter of an
// unchanged spec (same name, header and rules) with its counts, and a fresh one otherwise,
// so a reload that touches another section does not reset every tenant's budget.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/config/picker_config.h"

namespace epp::flowcontrol {

class RateLimiter {
 public:
  explicit RateLimiter(config::RateLimitSpec spec);

  const config::RateLimitSpec& spec() const { return spec_; }

  // Counts one request of `key` at monotonic `nowNs`. nullopt: allowed (and counted).
  // Otherwise the nanoseconds until a request of this key would be allowed.
  std::optional<int64_t> tryAcquire(std::string_view key, int64_t nowNs);

  // Keys tracked now (bounded by spec().maxKeys).
  size_t trackedKeys() const;

 private:
  struct KeyState {
    double tokens = 0;         // token bucket
    int64_t refilledNs = 0;    // token bucket
    std::vector<int64_t> log;  // sliding window: admitted times, a ring of maxRequests
    size_t head = 0;           // sliding window: oldest entry of the ring
    std::list<std::string>::iterator lru;
  };
  const config::RateLimitRule& ruleFor(std::string_view key) const;
  KeyState& stateFor(std::string_view key, const config::RateLimitRule& rule, int64_t nowNs);

  config::RateLimitSpec spec_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, KeyState> keys_;
  std::list<std::string> lru_;  // most recently seen first
};

// Hands out the limiters of a config, keeping those whose spec did not change.
class RateLimiters {
 public:
  static RateLimiters& global();
  std::vector<std::shared_ptr<RateLimiter>> acquire(
      const std::vector<config::RateLimitSpec>& specs);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<RateLimiter>> bySpec_;  // fingerprint -> limiter
};

// A refusal of one request by `limiter`.
struct RateLimitRefusal {
  const RateLimiter* limiter = nullptr;
  std::string key;
  int64_t retryAfterNs = 0;
  // retry-after header value: whole seconds, at least 1.
  std::string retryAfterSeconds() const;
};

// Checks `limiters` in order for a request whose headers give the keys; the first limit it
// exceeds refuses it (limits before that one have counted it). Counts refusals in
// eppd_rate_limited_requests_total{limit}.
// `headers`: the request's, names lower-case.
std::optional<RateLimitRefusal> checkRateLimits(
    const std::vector<std::shared_ptr<RateLimiter>>& limiters,
    const std::vector<std::pair<std::string, std::string>>& headers, int64_t nowNs);

}  // namespace epp::flowcontrol

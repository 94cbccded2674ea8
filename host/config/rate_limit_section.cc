// `rateLimits:`: per-key request limits checked before flow control.
//
//   rateLimits:
//   - name: per-tenant
//     keyHeader: x-tenant-id              # default: x-gateway-inference-fairness-id
//     tokenBucket: {rate: 5, burst: 10}   # or slidingWindow: {maxRequests: 100, window: 1m}
//     overrides:
//       tenant-a: {tokenBucket: {rate: 50, burst: 100}}
//     maxKeys: 10000
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <unordered_set>

#include "host/config/sections.h"

namespace epp::config::sections {
namespace {

// Keys of one limit: header names are case-insensitive and arrive lower-case.
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Exactly one of tokenBucket / slidingWindow, from `map` (a limit or an override).
std::optional<RateLimitRule> readRule(Diagnostics& diag, const MapReader& map) {
  auto bucket = map.get("tokenBucket");
  auto window = map.get("slidingWindow");
  if (bucket.has_value() == window.has_value()) {
    diag.error(
        map.field().where,
        fmt::format("{}: set exactly one of tokenBucket and slidingWindow", map.field().name()));
    return std::nullopt;
  }
  RateLimitRule rule;
  bool ok = true;
  if (bucket) {
    MapReader b(diag, *bucket, {"rate", "burst"});
    rule.algorithm = RateLimitRule::Algorithm::kTokenBucket;
    if (auto f = b.required("rate")) {
      auto rate = readDouble(diag, *f);
      if (rate && *rate > 0) {
        rule.rate = *rate;
      } else {
        if (rate) diag.error(f->where, f->name() + ": rate must be > 0 (requests per second)");
        ok = false;
      }
    } else {
      ok = false;
    }
    rule.burst = std::max(1.0, std::ceil(rule.rate));
    if (auto f = b.get("burst")) {
      auto burst = readDouble(diag, *f);
      if (burst && *burst >= 1) {
        rule.burst = *burst;
      } else {
        if (burst) diag.error(f->where, f->name() + ": burst must be >= 1");
        ok = false;
      }
    }
  } else {
    MapReader w(diag, *window, {"maxRequests", "window"});
    rule.algorithm = RateLimitRule::Algorithm::kSlidingWindow;
    if (auto f = w.required("maxRequests")) {
      auto n = readInt(diag, *f, 1, 1'000'000);
      ok = ok && n.has_value();
      rule.maxRequests = n.value_or(0);
    } else {
      ok = false;
    }
    if (auto f = w.required("window")) {
      auto ns = readDurationNs(diag, *f);
      if (ns && *ns >= 1'000'000) {
        rule.windowNs = *ns;
      } else {
        if (ns) diag.error(f->where, f->name() + ": window must be at least 1ms");
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return rule;
}

}  // namespace

void parseRateLimits(Diagnostics& diag, const Field& field, PickerConfig& config) {
  std::unordered_set<std::string> names;
  for (const Field& item : readList(diag, field, /*nullIsEmpty=*/true)) {
    MapReader map(diag, item,
                  {"name", "keyHeader", "defaultKey", "tokenBucket", "slidingWindow", "overrides",
                   "maxKeys"});
    if (!map.isMap()) continue;
    RateLimitSpec spec;
    spec.where = item.where;
    if (auto f = map.required("name")) {
      auto name = readString(diag, *f);
      if (!name) continue;
      spec.name = *name;
      spec.where = f->where;
      if (!names.insert(spec.name).second) {
        diag.error(f->where,
                   fmt::format("{}: rate limit '{}' is listed twice", f->name(), spec.name));
        continue;
      }
    } else {
      continue;
    }
    if (auto f = map.get("keyHeader")) {
      if (auto h = readString(diag, *f)) spec.keyHeader = lower(*h);
    }
    if (auto f = map.get("defaultKey")) {
      if (auto k = readString(diag, *f, /*allowEmpty=*/true)) spec.defaultKey = *k;
    }
    if (auto f = map.get("maxKeys")) {
      if (auto n = readInt(diag, *f, 1, 10'000'000)) spec.maxKeys = *n;
    }
    auto rule = readRule(diag, map);
    if (!rule) continue;
    spec.rule = *rule;
    if (auto f = map.get("overrides")) {
      for (const MapEntry& e : readMap(diag, *f, /*nullIsEmpty=*/true)) {
        MapReader o(diag, e.value, {"tokenBucket", "slidingWindow"});
        if (!o.isMap()) continue;
        if (auto r = readRule(diag, o)) spec.overrides.emplace(e.key, *r);
      }
    }
    config.rateLimits.push_back(std::move(spec));
  }
}

}  // namespace epp::config::sections

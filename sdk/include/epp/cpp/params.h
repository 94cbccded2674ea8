// File: epp/cpp/params.h
//
// Typed, strict access to a plugin's `parameters:` map during `create`.
//
//   Params p(ctx.params());
//   threshold_ = p.getInt("threshold", 128, /*min=*/0);
//   p.finish();  // throws on any key the plugin did not read, with file:line:col
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "epp/cpp/core.h"

namespace epp::cpp {

class Params {
 public:
  explicit Params(epp_param_host_ptr node) : node_(node) {
    epp_param_kind kind = host().param_kind(node_);
    if (kind != EPP_PARAM_NULL && kind != EPP_PARAM_MAP) {
      throw Error(location() + ": parameters must be a map");
    }
  }

  // "file:line:col" of this map, or of `key` when present.
  std::string location() const { return std::string(view(host().param_location(node_))); }
  std::string location(std::string_view key) const {
    auto child = find(key);
    return child ? std::string(view(host().param_location(*child))) : location();
  }

  bool has(std::string_view key) const { return find(key).has_value(); }

  int64_t getInt(std::string_view key, int64_t fallback,
                 int64_t min = std::numeric_limits<int64_t>::min(),
                 int64_t max = std::numeric_limits<int64_t>::max()) const {
    auto node = use(key);
    if (!node) return fallback;
    int64_t v = 0;
    if (host().param_int(*node, &v) != EPP_OK) fail(*node, key, "an integer");
    if (v < min || v > max) failRange(*node, key, std::to_string(min), std::to_string(max));
    return v;
  }

  double getDouble(std::string_view key, double fallback,
                   double min = -std::numeric_limits<double>::infinity(),
                   double max = std::numeric_limits<double>::infinity()) const {
    auto node = use(key);
    if (!node) return fallback;
    double v = 0;
    if (host().param_double(*node, &v) != EPP_OK) fail(*node, key, "a number");
    if (!(v >= min && v <= max)) failRange(*node, key, num(min), num(max));
    return v;
  }

  bool getBool(std::string_view key, bool fallback) const {
    auto node = use(key);
    if (!node) return fallback;
    bool v = false;
    if (host().param_bool(*node, &v) != EPP_OK) fail(*node, key, "true or false");
    return v;
  }

  std::string getString(std::string_view key, std::string_view fallback) const {
    auto node = use(key);
    if (!node) return std::string(fallback);
    epp_str v{};
    if (host().param_string(*node, &v) != EPP_OK) fail(*node, key, "a string");
    return std::string(view(v));
  }

  // Go-style durations ("200ms", "1.5s"); a bare number is seconds.
  int64_t getDurationNs(std::string_view key, int64_t fallback) const {
    auto node = use(key);
    if (!node) return fallback;
    int64_t v = 0;
    if (host().param_duration_ns(*node, &v) != EPP_OK) fail(*node, key, "a duration like 200ms");
    return v;
  }

  // Kubernetes quantities ("10Gi", "500Mi", "1G").
  int64_t getBytes(std::string_view key, int64_t fallback) const {
    auto node = use(key);
    if (!node) return fallback;
    int64_t v = 0;
    if (host().param_bytes(*node, &v) != EPP_OK) fail(*node, key, "a byte quantity like 10Gi");
    return v;
  }

  std::vector<std::string> getStringList(std::string_view key,
                                         std::vector<std::string> fallback = {}) const {
    auto node = use(key);
    if (!node) return fallback;
    if (host().param_kind(*node) != EPP_PARAM_LIST) fail(*node, key, "a list of strings");
    std::vector<std::string> out;
    size_t n = host().param_size(*node);
    for (size_t i = 0; i < n; ++i) {
      epp_param_host_ptr item = nullptr;
      epp_str ignored{};
      epp_str s{};
      if (host().param_at(*node, i, &item, &ignored) != EPP_OK ||
          host().param_string(item, &s) != EPP_OK) {
        fail(item ? item : *node, key, "a list of strings");
      }
      out.emplace_back(view(s));
    }
    return out;
  }

  // A nested map, or nullptr when absent. Owned by this Params; finish() checks its keys too.
  const Params* getMap(std::string_view key) const {
    auto node = use(key);
    if (!node) return nullptr;
    if (host().param_kind(*node) != EPP_PARAM_MAP) fail(*node, key, "a map");
    return &children_.emplace_back(*node);
  }

  // A list of maps (empty when absent). Owned by this Params; finish() checks their keys too.
  std::vector<const Params*> getMapList(std::string_view key) const {
    std::vector<const Params*> out;
    auto node = use(key);
    if (!node) return out;
    if (host().param_kind(*node) != EPP_PARAM_LIST) fail(*node, key, "a list of maps");
    size_t n = host().param_size(*node);
    for (size_t i = 0; i < n; ++i) {
      epp_param_host_ptr item = nullptr;
      epp_str ignored{};
      if (host().param_at(*node, i, &item, &ignored) != EPP_OK ||
          host().param_kind(item) != EPP_PARAM_MAP) {
        fail(item ? item : *node, key, "a list of maps");
      }
      out.push_back(&children_.emplace_back(item));
    }
    return out;
  }

  // The raw node of `key` for shapes the getters do not cover (marks it used).
  std::optional<epp_param_host_ptr> getNode(std::string_view key) const { return use(key); }

  // Throws naming every key the plugin never read: unknown parameters are config errors.
  void finish() const {
    std::string unknown = unknownKeys();
    if (!unknown.empty()) throw Error(unknown);
  }

 private:
  std::string unknownKeys() const {
    std::string unknown;
    for (const Params& child : children_) {
      std::string inner = child.unknownKeys();
      if (!inner.empty()) unknown += (unknown.empty() ? "" : "; ") + inner;
    }
    if (host().param_kind(node_) != EPP_PARAM_MAP) return unknown;
    size_t n = host().param_size(node_);
    for (size_t i = 0; i < n; ++i) {
      epp_param_host_ptr child = nullptr;
      epp_str key{};
      if (host().param_at(node_, i, &child, &key) != EPP_OK) continue;
      if (used_.count(std::string(view(key))) != 0) continue;
      if (!unknown.empty()) unknown += "; ";
      unknown += std::string(view(host().param_location(child))) + ": unknown parameter \"" +
                 std::string(view(key)) + "\"";
    }
    return unknown;
  }
  std::optional<epp_param_host_ptr> find(std::string_view key) const {
    epp_param_host_ptr child = nullptr;
    if (host().param_get(node_, str(key), &child) != EPP_OK) return std::nullopt;
    return child;
  }
  std::optional<epp_param_host_ptr> use(std::string_view key) const {
    used_.emplace(key);
    auto child = find(key);
    if (child && host().param_kind(*child) == EPP_PARAM_NULL) return std::nullopt;
    return child;
  }
  [[noreturn]] static void fail(epp_param_host_ptr node, std::string_view key,
                                std::string_view expected) {
    throw Error(std::string(view(host().param_location(node))) + ": parameter \"" +
                std::string(key) + "\" must be " + std::string(expected));
  }
  [[noreturn]] static void failRange(epp_param_host_ptr node, std::string_view key,
                                     const std::string& min, const std::string& max) {
    throw Error(std::string(view(host().param_location(node))) + ": parameter \"" +
                std::string(key) + "\" must be between " + min + " and " + max);
  }
  static std::string num(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  epp_param_host_ptr node_;
  mutable std::set<std::string, std::less<>> used_;
  mutable std::deque<Params> children_;  // deque: getMap hands out stable pointers
};

}  // namespace epp::cpp

// File: epp/cpp/metric_spec.h
//
// Metric specs as the reference EPP writes them in `engineConfigs`: a metric name with an
// optional PromQL-style equality selector, e.g.
//   vllm:num_requests_waiting
//   nv_trt_llm_request_metrics{request_type=waiting}
//   custom_queue_size{status="waiting", tier=gold}
// A series matches when its name is equal and every listed label has the given value.
// An empty spec means "this field is disabled". Header-only, for adapter plugins.
//
//   auto spec = epp::cpp::prom::MetricSpec::parse("x{a=b}");   // throws SpecError
//   for (const auto* s : spec.select(page)) ...
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "epp/cpp/prometheus_text.h"

namespace epp::cpp::prom {

class SpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class MetricSpec {
 public:
  // Empty text gives a disabled spec; anything else must be name[{label=value,...}].
  static MetricSpec parse(std::string_view text) {
    MetricSpec spec;
    std::string_view rest = trim(text);
    if (rest.empty()) return spec;
    size_t brace = rest.find('{');
    spec.name_ = std::string(trim(rest.substr(0, brace)));
    if (!validName(spec.name_)) fail(text, "'" + spec.name_ + "' is not a metric name");
    if (brace == std::string_view::npos) return spec;
    if (rest.back() != '}') fail(text, "the label selector must end with '}'");
    std::string_view body = rest.substr(brace + 1, rest.size() - brace - 2);
    while (!trim(body).empty()) {
      size_t comma = findUnquoted(body, ',');
      std::string_view item = trim(body.substr(0, comma));
      body = comma == std::string_view::npos ? std::string_view() : body.substr(comma + 1);
      if (item.empty()) continue;
      size_t eq = item.find('=');
      if (eq == std::string_view::npos)
        fail(text, "'" + std::string(item) + "' is not label=value");
      std::string label(trim(item.substr(0, eq)));
      std::string_view value = trim(item.substr(eq + 1));
      if (!value.empty() && (value.front() == '!' || value.front() == '~')) {
        fail(text, "only label=value matchers are supported");
      }
      if (!validName(label) || label.find(':') != std::string::npos) {
        fail(text, "'" + label + "' is not a label name");
      }
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      } else if (value.find('"') != std::string_view::npos) {
        fail(text, "unbalanced quotes in '" + std::string(item) + "'");
      }
      spec.matchers_.emplace_back(std::move(label), std::string(value));
    }
    return spec;
  }

  bool enabled() const { return !name_.empty(); }
  const std::string& name() const { return name_; }
  const std::vector<std::pair<std::string, std::string>>& matchers() const { return matchers_; }

  bool matches(const Sample& s) const {
    if (s.name != name_) return false;
    for (const auto& [label, value] : matchers_) {
      if (s.label(label) != value) return false;
    }
    return true;
  }

  // The series of `page` this spec selects (none when disabled).
  std::vector<const Sample*> select(const Exposition& page) const {
    std::vector<const Sample*> out;
    if (!enabled()) return out;
    for (const auto* s : page.samples(name_)) {
      if (matches(*s)) out.push_back(s);
    }
    return out;
  }

  // name{a="b"}: how the spec is shown in logs and errors.
  std::string str() const {
    std::string out = name_;
    if (matchers_.empty()) return out;
    out += '{';
    for (size_t i = 0; i < matchers_.size(); ++i) {
      if (i > 0) out += ',';
      out += matchers_[i].first + "=\"" + matchers_[i].second + '"';
    }
    return out + '}';
  }

 private:
  static std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }
  static bool validName(std::string_view n) {
    if (n.empty()) return false;
    for (size_t i = 0; i < n.size(); ++i) {
      char c = n[i];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                (i > 0 && c >= '0' && c <= '9');
      if (!ok) return false;
    }
    return true;
  }
  static size_t findUnquoted(std::string_view s, char c) {
    bool quoted = false;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '"') quoted = !quoted;
      if (s[i] == c && !quoted) return i;
    }
    return std::string_view::npos;
  }
  [[noreturn]] static void fail(std::string_view text, const std::string& why) {
    throw SpecError("metric spec '" + std::string(text) + "': " + why);
  }

  std::string name_;
  std::vector<std::pair<std::string, std::string>> matchers_;
};

}  // namespace epp::cpp::prom

#pragma once

// Helpers the built-in backend adapters share to turn a parsed Prometheus page into
// endpoint fields with one set of error messages. Header-only: each adapter is its own .so.

#include <charconv>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "epp/cpp/plugin.h"
#include "epp/cpp/prometheus_text.h"

namespace epp::plugins::adapter {

namespace prom = cpp::prom;

// The metric names an adapter reads, fixed when it is created: parsePage skips every other
// sample (a scrape every 50 ms of every endpoint makes parsing eppd's largest fixed cost).
class MetricNames {
 public:
  MetricNames() = default;
  MetricNames(std::initializer_list<std::string> names) {
    for (const auto& n : names) add(n);
  }
  void add(const std::string& name) {
    if (!name.empty()) names_.push_back(name);
  }
  void add(const std::vector<std::string>& names) {
    for (const auto& n : names) add(n);
  }
  // A handful of names: a scan beats hashing.
  bool contains(std::string_view name) const {
    for (const auto& n : names_) {
      if (n == name) return true;
    }
    return false;
  }

 private:
  std::vector<std::string> names_;
};

// Checks the content type and parses the body; both failures become cpp::Error. With
// `only`, samples of other names are skipped unparsed.
inline prom::Exposition parsePage(std::string_view body, std::string_view contentType,
                                  const MetricNames* only = nullptr) {
  if (std::string why = prom::checkContentType(contentType); !why.empty()) throw cpp::Error(why);
  prom::ParseOptions options;
  if (only != nullptr)
    options.keep = [only](std::string_view name) { return only->contains(name); };
  try {
    return prom::parse(body, options);
  } catch (const prom::ParseError& e) {
    throw cpp::Error(e.what());
  }
}

inline std::string where(const prom::Sample& s) {
  return s.name + " (line " + std::to_string(s.line) + ")";
}

// A label value that must be a whole number ("16"); anything else counts as absent.
inline std::optional<int64_t> intLabel(const prom::Sample& s, std::string_view label) {
  std::string_view text = s.label(label);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// The largest count accepted: 2^53, the last integer a double holds exactly, and far below
// where llround stops being defined (2^63).
inline constexpr double kMaxCount = 9007199254740992.0;

// A count (queue, batch, blocks) must be a finite, non-negative number no larger than
// kMaxCount.
inline int64_t count(const prom::Sample& s) {
  if (!std::isfinite(s.value) || s.value < 0 || s.value > kMaxCount) {
    throw cpp::Error(where(s) + ": " + std::to_string(s.value) + " is not a count");
  }
  return std::llround(s.value);
}

// A KV-cache usage fraction must lie in [0, 1].
inline double fraction(const prom::Sample& s) {
  if (!(s.value >= 0 && s.value <= 1)) {
    throw cpp::Error(where(s) + ": KV-cache usage " + std::to_string(s.value) +
                     " is outside [0, 1]");
  }
  return s.value;
}

using SampleFilter = std::function<bool(const prom::Sample&)>;

// Sum of the counts of `name`'s series that pass `keep` (all when empty); nullopt when the
// name is empty (field disabled) or no series matches. One server may expose several
// ranks or models: their queues and batches add up.
inline std::optional<int64_t> sumOf(const prom::Exposition& page, const std::string& name,
                                    const SampleFilter& keep = {}) {
  if (name.empty()) return std::nullopt;
  std::optional<int64_t> total;
  for (const auto* s : page.samples(name)) {
    if (keep && !keep(*s)) continue;
    const int64_t sum = total.value_or(0) + count(*s);  // at most 2 * kMaxCount: no overflow
    if (static_cast<double>(sum) > kMaxCount) {
      throw cpp::Error(where(*s) + ": the series of " + name + " add up to more than a count");
    }
    total = sum;
  }
  return total;
}

// Mean KV-cache usage over `name`'s series that pass `keep`; ranks share the load.
inline std::optional<double> meanUsageOf(const prom::Exposition& page, const std::string& name,
                                         const SampleFilter& keep = {}) {
  if (name.empty()) return std::nullopt;
  double sum = 0;
  int n = 0;
  for (const auto* s : page.samples(name)) {
    if (keep && !keep(*s)) continue;
    sum += fraction(*s);
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

// The LoRA state of `name` (vLLM's lora_requests_info shape): the value of each series
// is the time it was last updated, so only the newest series describes the present. Its
// labels max_lora, running_lora_adapters and waiting_lora_adapters (comma-separated).
inline void applyLoraInfo(const prom::Exposition& page, const std::string& name,
                          cpp::MetricsOut& out, const SampleFilter& keep = {}) {
  if (name.empty()) return;
  const prom::Sample* newest = nullptr;
  for (const auto* s : page.samples(name)) {
    if (keep && !keep(*s)) continue;
    if (std::isnan(s->value)) throw cpp::Error(where(*s) + ": timestamp is NaN");
    if (newest == nullptr || s->value > newest->value) newest = s;
  }
  if (newest == nullptr) return;
  if (auto slots = intLabel(*newest, "max_lora")) {
    out.setMaxLoras(*slots);
  } else if (newest->findLabel("max_lora")) {
    throw cpp::Error(where(*newest) + ": max_lora '" + std::string(newest->label("max_lora")) +
                     "' is not an integer");
  }
  for (const auto& a : prom::splitList(newest->label("running_lora_adapters"))) {
    out.addActiveLora(a);
  }
  for (const auto& a : prom::splitList(newest->label("waiting_lora_adapters"))) {
    out.addWaitingLora(a);
  }
}

// Cache geometry from an info gauge whose labels carry it (vLLM's cache_config_info: labels
// block_size and num_gpu_blocks): the first series that has either label. A value that is
// not a whole number ("None") counts as absent.
inline void applyCacheInfoLabels(const prom::Exposition& page, const std::string& name,
                                 std::string_view blockSizeLabel, std::string_view numBlocksLabel,
                                 cpp::MetricsOut& out, const SampleFilter& keep = {}) {
  if (name.empty()) return;
  for (const auto* s : page.samples(name)) {
    if (keep && !keep(*s)) continue;
    auto blockSize = intLabel(*s, blockSizeLabel);
    auto blocks = intLabel(*s, numBlocksLabel);
    if (blockSize) out.setCacheBlockSize(*blockSize);
    if (blocks) out.setCacheNumBlocks(*blocks);
    if (blockSize || blocks) return;
  }
}

// Validates the three paths of a BackendInfo: empty means "not supported".
inline void checkPaths(const cpp::Params& p, const cpp::BackendInfo& info) {
  for (auto [key, v] :
       {std::pair<const char*, const std::string*>{"metricsPath", &info.metricsPath},
        {"healthPath", &info.healthPath},
        {"modelsPath", &info.modelsPath}}) {
    if (!v->empty() && v->front() != '/') {
      throw cpp::Error(p.location(key) + ": " + key + " must start with '/', got '" + *v + "'");
    }
  }
}

// Copies `label` of the first series of `name` (if any) into the endpoint's engine labels.
inline void copyLabel(const prom::Exposition& page, const std::string& name, std::string_view label,
                      cpp::MetricsOut& out) {
  if (name.empty()) return;
  if (const prom::Sample* s = page.first(name)) {
    if (auto v = s->findLabel(label)) out.setLabel(label, *v);
  }
}

}  // namespace epp::plugins::adapter

// File: tests/fuzz/prometheus_text_fuzz.cc
//
// A /metrics body through the SDK's exposition parser (epp/cpp/prometheus_text.h) and the
// vllm backend adapter (a real plugin, driven through its C ABI by the SDK's fake host).
// A page that parses must survive a round trip: written back as exposition text it parses
// to the same samples; parsed keeping only some names (ParseOptions::keep, what adapters
// do) it gives exactly those samples. The adapter must answer OK or INVALID_ARGUMENT with a
// message, and what it reports must be in range (counts >= 0, KV-cache usage in [0, 1]).
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "epp/cpp/prometheus_text.h"
#include "epp/testing/fake_host.h"
#include "plugins/adapter/vllm/vllm_adapter.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace prom = epp::cpp::prom;

void appendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    FUZZ_CHECK(ec == std::errc());
    out.append(buf, end);
  }
}

std::string write(const prom::Exposition& page) {
  std::string out;
  for (const prom::Sample& s : page.all()) {
    out += s.name;
    if (!s.labels.empty()) {
      out += '{';
      for (size_t i = 0; i < s.labels.size(); ++i) {
        if (i) out += ',';
        out += s.labels[i].name + "=\"";
        for (char c : s.labels[i].value) {
          if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
          } else if (c == '\n') {
            out += "\\n";
          } else {
            out += c;
          }
        }
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    appendValue(out, s.value);
    if (s.timestampMs) out += " " + std::to_string(*s.timestampMs);
    out += '\n';
  }
  return out;
}

bool sameValue(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void checkRoundTrip(const prom::Exposition& page) {
  std::string text = write(page);
  prom::Exposition again;
  try {
    again = prom::parse(text);
  } catch (const prom::ParseError& e) {
    FUZZ_CHECK(false, "re-parse failed: %s\n%s", e.what(), text.c_str());
  }
  FUZZ_CHECK(again.all().size() == page.all().size());
  for (size_t i = 0; i < page.all().size(); ++i) {
    const prom::Sample& a = page.all()[i];
    const prom::Sample& b = again.all()[i];
    FUZZ_CHECK(a.name == b.name && a.timestampMs == b.timestampMs, "sample %zu", i);
    FUZZ_CHECK(sameValue(a.value, b.value), "sample %zu: %.17g then %.17g", i, a.value, b.value);
    FUZZ_CHECK(a.labels.size() == b.labels.size());
    for (size_t j = 0; j < a.labels.size(); ++j) {
      FUZZ_CHECK(a.labels[j].name == b.labels[j].name && a.labels[j].value == b.labels[j].value);
    }
    FUZZ_CHECK(page.has(a.name) && page.first(a.name) != nullptr);
  }
}

struct Adapter {
  epp::testing::FakeHost host;
  std::unique_ptr<epp::testing::FakeInstance> vllm =
      host.create(host.load(&eppVllmAdapterEntry), "vllm", {});
};

void checkAdapter(const std::string& body) {
  static Adapter* adapter = new Adapter();  // never destroyed: outlives every input
  FUZZ_CHECK(adapter->vllm != nullptr);
  epp::testing::ParsedMetrics m = adapter->vllm->parseMetrics(body);
  if (m.status != EPP_OK) {
    FUZZ_CHECK(m.status == EPP_ERR_INVALID_ARGUMENT && !m.error.empty(), "status %d",
               static_cast<int>(m.status));
    return;
  }
  const epp_endpoint_metrics& x = m.metrics;
  if (x.present & EPP_METRICS_HAS_WAITING) FUZZ_CHECK(x.waiting_requests >= 0);
  if (x.present & EPP_METRICS_HAS_RUNNING) FUZZ_CHECK(x.running_requests >= 0);
  if (x.present & EPP_METRICS_HAS_KV_USAGE) {
    FUZZ_CHECK(x.kv_cache_usage >= 0 && x.kv_cache_usage <= 1, "%g", x.kv_cache_usage);
  }
}

// Which names a partial parse keeps: about half of any page, and every vLLM name.
bool kept(std::string_view name) { return name.rfind("vllm:", 0) == 0 || name.size() % 2 == 0; }

// A page that parses in full parses with `keep` too, to exactly the samples it accepts.
void checkKeep(const std::string& body, const prom::Exposition& full) {
  prom::Exposition partial;
  try {
    partial = prom::parse(body, {.keep = kept});
  } catch (const prom::ParseError& e) {
    FUZZ_CHECK(false, "the full parse succeeded, the one keeping some names failed: %s", e.what());
  }
  size_t j = 0;
  for (const prom::Sample& s : full.all()) {
    if (!kept(s.name)) continue;
    FUZZ_CHECK(j < partial.all().size(), "sample %s missing from the partial parse",
               s.name.c_str());
    const prom::Sample& p = partial.all()[j++];
    FUZZ_CHECK(p.name == s.name && p.line == s.line && sameValue(p.value, s.value));
    FUZZ_CHECK(p.labels.size() == s.labels.size() && p.timestampMs == s.timestampMs);
  }
  FUZZ_CHECK(j == partial.all().size(), "%zu samples kept, %zu expected", partial.all().size(), j);
  FUZZ_CHECK(partial.familyCount() == full.familyCount());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  for (bool requireNewline : {true, false}) {
    try {
      prom::Exposition page = prom::parse(body, {.requireFinalNewline = requireNewline});
      checkRoundTrip(page);
      if (requireNewline) checkKeep(body, page);
    } catch (const prom::ParseError& e) {
      FUZZ_CHECK(e.line() >= 1 && e.column() >= 1, "%s", e.what());
    }
  }
  checkAdapter(body);
  return 0;
}

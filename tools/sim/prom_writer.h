// File: tools/sim/prom_writer.h
//
// Writes Prometheus text exposition the way each real model server prints it.
// Hand-written rather than prometheus-cpp's serializer on purpose: the simulator must
// reproduce each engine's own number formatting (Python's prometheus_client prints
// `0.0` and `1.7382173358407154e+09`, llama.cpp's ostream prints `2903.63`), label order
// and per-scrape series (vLLM's lora_requests_info keeps one series per label set ever
// seen), so that scrapers are tested against text shaped like the real thing.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/sim/engine/histogram.h"

namespace epp::sim {

enum class NumberStyle {
  kPython,    // prometheus_client (vLLM, SGLang, trtllm-serve): 0.0, 8.128902e+06
  kShortest,  // shortest round trip, integers bare (Triton's prometheus-cpp, TGI's Rust)
  kPrintfG,   // C++ ostream defaults, 6 significant digits (llama.cpp)
};

// How prometheus_client formats a float (Python repr, then Go-style exponents for large
// values, as its floatToGoString does).
std::string formatPython(double value);
std::string formatNumber(double value, NumberStyle style);

using LabelList = std::vector<std::pair<std::string, std::string>>;

class PromWriter {
 public:
  explicit PromWriter(NumberStyle style) : style_(style) {}

  // "# HELP" (skipped when help is empty) and "# TYPE" lines of a family.
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, const LabelList& labels, double value);
  // _bucket series (le last), then _count and _sum (sumFirst: _sum before _count).
  void histogram(std::string_view name, const LabelList& labels, const Histogram& h,
                 bool sumBeforeCount = false);
  std::string take() { return std::move(out_); }
  std::string number(double v) const { return formatNumber(v, style_); }

 private:
  NumberStyle style_;
  std::string out_;
};

}  // namespace epp::sim

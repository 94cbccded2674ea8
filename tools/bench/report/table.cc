#include "tools/bench/report/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "tools/bench/report/compare.h"

namespace epp::bench {
namespace {

std::string formatValue(Unit unit, double value) {
  if (std::isnan(value)) return "-";
  switch (unit) {
    case Unit::kSeconds:
      return fmt::format("{:.1f}", value * 1e3);
    case Unit::kPerSecond:
      return fmt::format("{:.1f}", value);
    case Unit::kFraction:
      return fmt::format("{:.1f}%", value * 100);
  }
  return "?";
}

std::string unitSuffix(Unit unit) { return unit == Unit::kSeconds ? " (ms)" : ""; }

std::string errorsCell(const Summary& s) {
  if (s.errorsByCode.empty()) return "none";
  std::string out;
  for (const auto& [code, count] : s.errorsByCode) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}:{}", code, count);
  }
  return out;
}

}  // namespace

std::string formatTable(const std::vector<Summary>& runs) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {""};
  for (const Summary& s : runs) header.push_back(s.name);
  rows.push_back(header);

  auto addRow = [&](std::string label, auto cell) {
    std::vector<std::string> row = {std::move(label)};
    for (size_t i = 0; i < runs.size(); ++i) row.push_back(cell(i));
    rows.push_back(std::move(row));
  };
  addRow("routing", [&](size_t i) { return runs[i].mode; });
  addRow("requests ok / sent",
         [&](size_t i) { return fmt::format("{} / {}", runs[i].ok, runs[i].requests); });

  std::vector<std::vector<MetricValue>> metrics;
  for (const Summary& s : runs) metrics.push_back(comparableMetrics(s));
  for (size_t m = 0; !metrics.empty() && m < metrics.front().size(); ++m) {
    const MetricValue& first = metrics.front()[m];
    bool any = std::any_of(metrics.begin(), metrics.end(),
                           [&](const auto& values) { return !std::isnan(values[m].value); });
    if (!any) continue;
    addRow(std::string(first.label) + unitSuffix(first.unit), [&](size_t i) {
      const MetricValue& v = metrics[i][m];
      std::string cell = formatValue(v.unit, v.value);
      double r = ratio(v.value, first.value);
      if (i > 0 && !std::isnan(r)) cell += fmt::format(" ({:.2f}x)", r);
      return cell;
    });
  }
  addRow("errors", [&](size_t i) { return errorsCell(runs[i]); });

  // Per traffic class (workload classes=): what each InferenceObjective got.
  std::set<std::string> classes;
  for (const Summary& s : runs) {
    for (const auto& [objective, c] : s.classes) classes.insert(objective);
  }
  for (const std::string& objective : classes) {
    auto cls = [&](size_t i) -> const ClassSummary* {
      auto it = runs[i].classes.find(objective);
      return it == runs[i].classes.end() ? nullptr : &it->second;
    };
    addRow("[" + objective + "] ok / sent", [&](size_t i) {
      const ClassSummary* c = cls(i);
      return c ? fmt::format("{} / {}", c->ok, c->requests) : std::string("-");
    });
    for (auto [label, p] :
         {std::pair<const char*, double Distribution::*>{"TTFT p50", &Distribution::p50},
          {"TTFT p90", &Distribution::p90},
          {"TTFT p99", &Distribution::p99}}) {
      addRow(fmt::format("[{}] {} (ms)", objective, label), [&](size_t i) {
        const ClassSummary* c = cls(i);
        return c ? formatValue(Unit::kSeconds, c->ttft.*p) : std::string("-");
      });
    }
    addRow("[" + objective + "] errors", [&](size_t i) {
      const ClassSummary* c = cls(i);
      if (c == nullptr || c->errorsByCode.empty()) return std::string(c ? "none" : "-");
      std::string out;
      for (const auto& [code, count] : c->errorsByCode) {
        out += fmt::format("{}{}:{}", out.empty() ? "" : " ", code, count);
      }
      return out;
    });
  }

  std::set<std::string> endpoints;
  for (const Summary& s : runs) {
    for (const auto& [endpoint, share] : s.endpoints) endpoints.insert(endpoint);
  }
  for (const std::string& endpoint : endpoints) {
    addRow("share " + endpoint, [&](size_t i) {
      auto it = runs[i].endpoints.find(endpoint);
      if (it == runs[i].endpoints.end()) return std::string("-");
      return fmt::format("{:.1f}% ({})", it->second.share * 100, it->second.requests);
    });
  }

  std::vector<size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      // Labels left-aligned, values right-aligned under their run's name.
      line += c == 0 ? fmt::format("{:<{}}", row[c], widths[c])
                     : fmt::format("  {:>{}}", row[c], widths[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

}  // namespace epp::bench

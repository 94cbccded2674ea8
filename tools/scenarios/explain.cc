#include "tools/scenarios/explain.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace epp::scenarios {
namespace {

using nlohmann::json;

std::string nameOf(const std::string& hostPort, const ExplainOptions& o) {
  auto it = o.names.find(hostPort);
  return it == o.names.end() ? hostPort : it->second;
}

// "a, b, c" or "a, b, c, d and 5 more".
std::string listNames(const json& hostPorts, const ExplainOptions& o, size_t shown = 4) {
  std::string out;
  size_t i = 0;
  for (const auto& hp : hostPorts) {
    if (i == shown) return out + fmt::format(" and {} more", hostPorts.size() - shown);
    out += (i++ == 0 ? "" : ", ") + nameOf(hp.get<std::string>(), o);
  }
  return out.empty() ? "none" : out;
}

// "queue-scorer" reads as "queue" in a column header.
std::string shortScorerName(std::string name) {
  const std::string suffix = "-scorer";
  if (name.size() > suffix.size() && name.ends_with(suffix))
    name.resize(name.size() - suffix.size());
  return name;
}

std::string routingLine(const json& r, const std::string& targetModel) {
  const std::string requested = r.value("requestedModel", "");
  const std::string fallback = r.value("loraFallback", "");
  if (fallback == "base-model") {
    return fmt::format(
        "routing: LoRA adapter {} is loaded on no server and no server has a free adapter slot, "
        "so it is sent as its base model {}",
        requested, targetModel);
  }
  if (fallback == "rejected") {
    return fmt::format(
        "routing: LoRA adapter {} is loaded on no server, no server has a free adapter slot, "
        "and its fallback to the base model is off",
        requested);
  }
  if (r.contains("rule")) {
    return fmt::format("routing: rule {} sent {} as {}", r["rule"].get<std::string>(), requested,
                       targetModel);
  }
  if (r.contains("baseModel")) {
    return fmt::format("routing: {} is a LoRA adapter of {}", targetModel,
                       r["baseModel"].get<std::string>());
  }
  return "";
}

void scoreTable(const json& profile, const ExplainOptions& o, std::string& out) {
  const json& scorers = profile["scorers"];
  const json& totals = profile["totals"];
  std::vector<std::string> rows;
  for (const auto& c : profile["candidates"]) rows.push_back(c.get<std::string>());
  std::string picked;
  if (!profile["picked"].empty()) picked = profile["picked"][0].get<std::string>();
  auto total = [&](const std::string& hp) { return totals.value(hp, 0.0); };
  std::stable_sort(rows.begin(), rows.end(), [&](const std::string& a, const std::string& b) {
    if ((a == picked) != (b == picked)) return a == picked;
    return total(a) > total(b);
  });

  size_t nameWidth = 8;
  for (const auto& hp : rows) nameWidth = std::max(nameWidth, nameOf(hp, o).size());
  std::vector<std::string> headers;
  std::vector<size_t> widths;
  for (const auto& s : scorers) {
    headers.push_back(fmt::format("{} x{}", shortScorerName(s["plugin"].get<std::string>()),
                                  s["weight"].get<double>()));
    widths.push_back(std::max<size_t>(headers.back().size(), 11));
  }
  out += fmt::format("{}  scores, weighted (raw):\n", o.indent);
  std::string line = fmt::format("{}    {:<{}}", o.indent, "endpoint", nameWidth);
  for (size_t i = 0; i < headers.size(); ++i)
    line += fmt::format("  {:<{}}", headers[i], widths[i]);
  out += line + "  total\n";
  const size_t shown = std::min(rows.size(), std::max<size_t>(o.maxRows, 1));
  for (size_t r = 0; r < shown; ++r) {
    const std::string& hp = rows[r];
    line =
        fmt::format("{}  {} {:<{}}", o.indent, hp == picked ? '*' : ' ', nameOf(hp, o), nameWidth);
    for (size_t i = 0; i < headers.size(); ++i) {
      const json& cell = scorers[i]["scores"].contains(hp) ? scorers[i]["scores"][hp] : json();
      std::string text = cell.is_object()
                             ? fmt::format("{:.2f} ({:.2f})", cell["weighted"].get<double>(),
                                           cell["raw"].get<double>())
                             : "-";
      line += fmt::format("  {:<{}}", text, widths[i]);
    }
    out += line + fmt::format("  {:.2f}\n", total(hp));
  }
  if (rows.size() > shown) {
    out += fmt::format("{}    … and {} more, totals {:.2f} to {:.2f}\n", o.indent,
                       rows.size() - shown, total(rows.back()), total(rows[shown]));
  }
}

}  // namespace

std::string explainDecision(const json& d, const ExplainOptions& o) {
  std::string out;
  const std::string model = d.value("model", "");
  const std::string target = d.value("targetModel", "");
  std::string asked = fmt::format("request {}: model {}", d.value("requestId", "?"), model);
  if (d.contains("objective"))
    asked += fmt::format(", objective {}", d["objective"].get<std::string>());
  asked += fmt::format(", priority {}", d.value("priority", 0));
  out += o.indent + asked + "\n";
  if (d.contains("routing")) {
    std::string r = routingLine(d["routing"], target);
    if (!r.empty()) out += o.indent + r + "\n";
  }
  if (d.contains("admission")) {
    const json& a = d["admission"];
    out += fmt::format("{}admission: {} ({} read {:.2f})\n", o.indent, a.value("outcome", ""),
                       a.value("detector", ""), a.value("saturation", 0.0));
  }
  if (d.contains("queue")) {
    const json& q = d["queue"];
    std::string detail = q.contains("detail") ? ": " + q["detail"].get<std::string>() : "";
    out += fmt::format("{}flow control: band {}, waited {:.0f} ms, {}{}\n", o.indent,
                       q.value("band", 0), q.value("waitMs", 0.0), q.value("outcome", ""), detail);
  }
  for (const auto& p : d["profiles"]) {
    size_t before = o.poolSize;
    std::string head = fmt::format("{}profile {}", o.indent, p["profile"].get<std::string>());
    if (before > 0) head += fmt::format(": {} endpoints", before);
    out += head + "\n";
    for (const auto& s : p["steps"]) {
      const std::string kind = s.value("kind", "");
      const size_t after = s["candidates"].size();
      if (kind == "predicate") {
        out += fmt::format("{}  predicate {}: {}\n", o.indent, s.value("step", ""),
                           s.value("result", false) ? "true" : "false");
        continue;
      }
      std::string step = s.value("step", "");
      std::string plugin = s.value("plugin", "");
      std::string label = step == plugin ? plugin : step + " (" + plugin + ")";
      std::string from = before > 0 ? fmt::format("{} -> ", before) : "";
      out += fmt::format("{}  filter {}: {}{} ({})\n", o.indent, label, from, after,
                         listNames(s["candidates"], o));
      before = after;
    }
    if (!p.value("ok", false)) {
      out += fmt::format("{}  no endpoint: {}\n", o.indent, p.value("error", ""));
      continue;
    }
    if (!p["scorers"].empty()) {
      scoreTable(p, o, out);
    }
    const std::string first = p["picked"].empty() ? "none" : nameOf(p["picked"][0], o);
    out += fmt::format("{}  picker {}: {}\n", o.indent, p.value("picker", ""), first);
  }
  const int status = d.value("status", 0);
  if (status != 200) {
    out += fmt::format("{}answer: {} {}\n", o.indent, status, d.value("error", ""));
  } else if (!d.value("pick", "").empty()) {
    const std::string pick = d["pick"].get<std::string>();
    out += fmt::format("{}pick: {} ({})\n", o.indent, nameOf(pick, o), pick);
  }
  return out;
}

}  // namespace epp::scenarios

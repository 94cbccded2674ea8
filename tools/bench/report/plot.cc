#include "tools/bench/report/plot.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>

namespace epp::bench {
namespace {

std::vector<double> sortedTtfts(const Run& run) {
  std::vector<double> out;
  for (const RequestRecord& r : run.records) {
    if (r.ok() && r.ttft) out.push_back(*r.ttft);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// gnuplot single-quoted strings: a quote is written twice.
std::string gnuplotString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// A shell single-quoted word.
std::string shellQuoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::optional<std::filesystem::path> findOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string_view rest = path;
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::filesystem::path candidate = std::filesystem::path(rest.substr(0, colon)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  return std::nullopt;
}

bool writeFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

std::string ttftCdfData(const std::vector<Run>& runs) {
  std::string out;
  bool first = true;
  for (const Run& run : runs) {
    std::vector<double> ttft = sortedTtfts(run);
    if (ttft.empty()) continue;
    if (!first) out += "\n\n";
    first = false;
    out += fmt::format("# {}: TTFT seconds, fraction of successful requests\n", run.name);
    for (size_t i = 0; i < ttft.size(); ++i) {
      out += fmt::format("{:.6f} {:.6f}\n", ttft[i],
                         static_cast<double>(i + 1) / static_cast<double>(ttft.size()));
    }
  }
  return out;
}

std::string ttftCdfScript(const std::vector<Run>& runs, std::string_view dataFile,
                          std::string_view imageFile) {
  std::string out = fmt::format(
      "# TTFT CDF per run, written by eppd-bench. Render: gnuplot ttft_cdf.gp\n"
      "set terminal pngcairo size 1000,640 noenhanced\n"
      "set output {}\n"
      "set title 'Time to first token, CDF'\n"
      "set xlabel 'TTFT (s, log scale)'\n"
      "set ylabel 'fraction of successful requests'\n"
      "set logscale x\n"
      "set yrange [0:1]\n"
      "set grid\n"
      "set key bottom right\n",
      gnuplotString(imageFile));
  std::string plot;
  size_t index = 0;
  for (const Run& run : runs) {
    if (sortedTtfts(run).empty()) continue;
    plot += fmt::format(
        "{}{} index {} with steps linewidth 2 title {}", index == 0 ? "" : ", \\\n     ",
        index == 0 ? gnuplotString(dataFile) : "''", index, gnuplotString(run.name));
    ++index;
  }
  if (index == 0) return out + "# no run has a successful request: nothing to plot\n";
  return out + "plot " + plot + "\n";
}

common::Result<PlotFiles> writeTtftCdfPlot(const std::filesystem::path& dir,
                                           const std::vector<Run>& runs, bool render) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return common::Error{fmt::format("plot: cannot create {}: {}", dir.string(), ec.message())};
  PlotFiles files;
  files.data = dir / "ttft_cdf.dat";
  files.script = dir / "ttft_cdf.gp";
  if (!writeFile(files.data, ttftCdfData(runs)) ||
      !writeFile(files.script, ttftCdfScript(runs, "ttft_cdf.dat", "ttft_cdf.png"))) {
    return common::Error{fmt::format("plot: cannot write into {}", dir.string())};
  }
  const std::string render_hint =
      fmt::format("render with: cd {} && gnuplot ttft_cdf.gp", shellQuoted(dir.string()));
  auto gnuplot = render ? findOnPath("gnuplot") : std::nullopt;
  if (!gnuplot) {
    files.note = render ? "gnuplot not found (tools/install-deps.sh installs it); " + render_hint
                        : render_hint;
    return files;
  }
  std::filesystem::remove(dir / "ttft_cdf.png", ec);
  const std::string command = fmt::format("cd {} && {} ttft_cdf.gp 2>&1", shellQuoted(dir.string()),
                                          shellQuoted(gnuplot->string()));
  const int status = std::system(command.c_str());
  if (status == 0 && std::filesystem::exists(dir / "ttft_cdf.png")) {
    files.image = dir / "ttft_cdf.png";
    files.rendered = true;
  } else {
    files.note = "gnuplot failed (exit " + std::to_string(status) + "); " + render_hint;
  }
  return files;
}

}  // namespace epp::bench

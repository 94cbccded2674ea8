// File: tools/bench/report/plot.h
//
// The TTFT CDF of each run as gnuplot input: ttft_cdf.dat (one block per run, "seconds
// fraction" lines, blocks separated by two blank lines so `index N` selects run N) and
// ttft_cdf.gp, which draws them on a log time axis into ttft_cdf.png. When gnuplot is on
// the PATH the PNG is rendered at once; otherwise `cd DIR && gnuplot ttft_cdf.gp` does it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "host/common/result.h"
#include "tools/bench/report/run.h"

namespace epp::bench {

struct PlotFiles {
  std::filesystem::path data;
  std::filesystem::path script;
  std::filesystem::path image;  // exists only when rendered
  bool rendered = false;
  std::string note;  // how to render it, or why rendering failed
};

// The .dat text: runs without a successful TTFT are left out.
std::string ttftCdfData(const std::vector<Run>& runs);
// The .gp text, reading `dataFile` and writing `imageFile` (both relative to the script).
std::string ttftCdfScript(const std::vector<Run>& runs, std::string_view dataFile,
                          std::string_view imageFile);

// Creates `dir` if needed and writes both files; renders when `render` and gnuplot exists.
common::Result<PlotFiles> writeTtftCdfPlot(const std::filesystem::path& dir,
                                           const std::vector<Run>& runs, bool render = true);

}  // namespace epp::bench

// File: tools/bench/report/table.h
//
// Runs side by side as a plain-text table, one column per run; every comparable metric of
// a later run also shows its ratio against the first run (the baseline), "(0.31x)".
// Latencies are printed in milliseconds, fractions as percentages; a metric no run has
// (cached tokens when the servers never report them) is left out.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/report/summary.h"

namespace epp::bench {

std::string formatTable(const std::vector<Summary>& runs);

}  // namespace epp::bench

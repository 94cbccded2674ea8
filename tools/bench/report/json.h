// File: tools/bench/report/json.h
//
// The machine-readable report (--json): the workload, then per run its summary, its
// ratios against the first run (the baseline) and optionally every request record.
// Times are in seconds; a value a run does not have is null.
//
//   {"workload": "shared-prefix:…", "baseline": "eppd",
//    "runs": [{"name": "eppd", "mode": "…", "requests": 200, "ok": 200,
//              "errors": {"429": 3}, "ttft_s": {"p50": …, "p90": …, "p99": …, "mean": …,
//              "max": …, "count": …}, "e2e_s": {…}, "input_tokens": …, "output_tokens": …,
//              "wall_s": …, "output_tokens_per_s": …, "requests_per_s": …,
//              "prefix_hit_rate": 0.83, "cached_token_rate": null,
//              "endpoints": {"127.0.0.1:8001": {"requests": 50, "share": 0.25}},
//              "ratios": {"ttft_p90": 1.0, …}, "records": [{…}]}]}
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "tools/bench/report/run.h"

namespace epp::bench {

struct ReportJsonOptions {
  bool includeRecords = false;
};

nlohmann::json reportJson(std::string_view workload, const std::vector<Run>& runs,
                          const ReportJsonOptions& options = {});

}  // namespace epp::bench

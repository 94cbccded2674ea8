// File: tools/bench/report/summary.h
//
// The numbers of a run: TTFT and end-to-end latency percentiles over the successful
// requests, throughput over the run's wall time, errors by code, each endpoint's share,
// and the prefix-cache hit rate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/report/run.h"

namespace epp::bench {

// The p-th percentile (0 ≤ p ≤ 100) by linear interpolation between the closest ranks
// (NumPy's default): rank = p/100 · (n − 1). NaN when `values` is empty. Sorts its copy.
double percentile(std::vector<double> values, double p);

struct Distribution {
  size_t count = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

// NaN fields when `values` is empty.
Distribution distributionOf(const std::vector<double>& values);

struct EndpointShare {
  size_t requests = 0;  // routed there, whatever the outcome
  double share = 0;     // of all routed requests
};

// One traffic class of a run (workload classes=).
struct ClassSummary {
  size_t requests = 0;
  size_t ok = 0;
  std::map<std::string, size_t> errorsByCode;
  Distribution ttft;  // seconds, successful requests
};

struct Summary {
  std::string name;
  std::string mode;
  size_t requests = 0;
  size_t ok = 0;
  std::map<std::string, size_t> errorsByCode;
  Distribution ttft;  // seconds, successful requests
  Distribution e2e;   // seconds, successful requests
  uint64_t inputTokens = 0;
  uint64_t outputTokens = 0;  // successful requests
  double wallSeconds = 0;
  double outputTokensPerSecond = 0;
  double requestsPerSecond = 0;  // successful requests per second
  std::map<std::string, EndpointShare> endpoints;
  // The fleet's vllm:prefix_cache hits / queries over the run, when scraped.
  std::optional<double> prefixHitRate;
  // Σ cached tokens / Σ input tokens over the requests whose usage reported cached tokens.
  std::optional<double> cachedTokenRate;
  // By objective, when the workload has classes.
  std::map<std::string, ClassSummary> classes;
};

Summary summarize(const Run& run);

}  // namespace epp::bench

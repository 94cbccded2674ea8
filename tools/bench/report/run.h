// File: tools/bench/report/run.h
//
// What one benchmark run (eppd-bench against a target, or one config of `eppd replay`)
// records: one RequestRecord per request and, when the fleet was scraped, its prefix-cache
// counters over the run. summary.h turns a Run into numbers, table.h / json.h / plot.h
// into output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace epp::bench {

struct RequestRecord {
  uint64_t index = 0;  // the workload's request index
  std::string id;      // x-request-id
  // The HTTP status the client saw: the model server's, or the status of an ext_proc
  // ImmediateResponse (429, 503, …); 0 when there was none (see `error`).
  int status = 0;
  // Empty when the request succeeded. Otherwise its error code: the HTTP status as text
  // ("429", "503") or what failed without one ("connect", "timeout", "grpc-UNAVAILABLE").
  std::string error;
  std::string detail;    // why it failed, for a person: an error body, a socket error …
  std::string endpoint;  // ip:port that served it; empty when never routed
  double start = 0;      // seconds since the run started
  // Seconds from `start` to the first content token; none when no token arrived.
  std::optional<double> ttft;
  double e2e = 0;             // seconds from `start` to the end of the response (or the failure)
  uint32_t inputTokens = 0;   // prompt tokens (usage when reported, else the workload's)
  uint32_t outputTokens = 0;  // completion tokens (usage when reported, else content events)
  std::optional<uint32_t> cachedTokens;  // usage.prompt_tokens_details.cached_tokens
  std::string objective;  // the traffic class (InferenceObjective) it named; "" for none
  std::string profile;    // replay with recordProfiles: the primary profile that picked it

  bool ok() const { return error.empty(); }
};

// vllm:prefix_cache_hits_total / _queries_total summed over the fleet, after minus before.
struct PrefixCounters {
  double hits = 0;
  double queries = 0;
};

struct Run {
  std::string name;  // "eppd", "round-robin", a config file …
  std::string mode;  // how requests were routed: "ext_proc 127.0.0.1:9002", "direct", "replay"
  double wallSeconds = 0;  // from the first request's start to the last one's end
  std::vector<RequestRecord> records;
  std::optional<PrefixCounters> prefix;
  // Open loop: how late the load generator sent its most delayed request against the
  // schedule. Large values mean the generator, not the target, limited the load.
  double maxSendLagSeconds = 0;
  // The run's time zero (records' `start`) as Unix seconds: lines the records up with what
  // happened elsewhere meanwhile (faults injected, logs). 0 when unknown (replay).
  double startedUnixSeconds = 0;
};

}  // namespace epp::bench

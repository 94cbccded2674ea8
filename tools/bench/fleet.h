// File: tools/bench/fleet.h
//
// Between runs eppd-bench talks to the model servers directly: POST /sim/reset gives every
// run the same cold start (a server without it answers 404, which is fine), and GET
// /metrics before and after a run yields the fleet's prefix-cache hit rate over it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/report/run.h"
#include "tools/bench/targets.h"

namespace epp::bench {

struct HttpReply {
  int status = 0;  // 0: no answer (see error)
  std::string body;
  std::string error;
};

// One HTTP/1.1 request on its own connection, synchronously.
HttpReply httpCall(const HostPort& endpoint, const std::string& method, const std::string& path,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Resets each member; returns one line per member that could not be reset (404 excepted).
std::vector<std::string> resetFleet(const std::vector<HostPort>& fleet);

// vllm:prefix_cache_hits_total and _queries_total summed over the fleet; nullopt (with a
// warning) when a member cannot be scraped or lacks them.
std::optional<PrefixCounters> scrapePrefixCounters(const std::vector<HostPort>& fleet,
                                                   std::vector<std::string>& warnings);

}  // namespace epp::bench

// File: tools/scenarios/explain.h
//
// One /decisions entry as a few lines a person reads: what was asked (model, objective,
// priority), what routing and flow control did, the candidates left after each filter or
// tree node, a table of every scorer's weighted (and raw) score per candidate with the
// totals, and the pick; or the status and reason when eppd refused the request. Endpoints
// are shown by their config names.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace epp::scenarios {

struct ExplainOptions {
  std::map<std::string, std::string> names;  // "ip:port" -> endpoint name
  size_t poolSize = 0;                       // endpoints before the first filter (0: unknown)
  size_t maxRows = 6;                        // candidates shown in the score table
  std::string indent = "    ";
};

std::string explainDecision(const nlohmann::json& decision, const ExplainOptions& options);

}  // namespace epp::scenarios

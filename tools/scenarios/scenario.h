// File: tools/scenarios/scenario.h
//
// A scenario: a fleet of eppd-sim servers, eppd serving one config of configs/scenarios/,
// requests played the way Envoy plays them (real ext_proc gRPC, forwarded to the simulator
// eppd picked), each decision explained from /decisions, and the promises the scenario
// makes checked. The same code runs from eppd-scenarios (full or --short) and from the test
// suite (short), so what the README shows is what the tests assert.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace epp::scenarios {

struct Options {
  bool shortRun = false;             // fewer requests and shorter load phases
  std::filesystem::path configsDir;  // where <name>.yaml is read from
  std::ostream* out = nullptr;       // explanations, as the scenario runs
};

// One promise and whether it held, with the numbers behind it.
struct Check {
  std::string promise;
  bool held = false;
  std::string detail;
};

class Report {
 public:
  // Records a promise; returns `held` so a scenario can stop when later steps depend on it.
  bool check(bool held, std::string promise, std::string detail = "");
  bool ok() const;
  const std::vector<Check>& checks() const { return checks_; }

 private:
  std::vector<Check> checks_;
};

struct Scenario {
  const char* name;   // also the stem of its config file
  const char* title;  // the promise, in one line
  Report (*run)(const Options& options);
};

// The five, in the README's order.
const std::vector<Scenario>& allScenarios();

Report runLoraPriority(const Options& options);
Report runLoadSpread(const Options& options);
Report runBurstShedding(const Options& options);
Report runManyEndpoints(const Options& options);
Report runLoraFallback(const Options& options);

// "ok   promise — detail" lines, one per check.
std::string formatChecks(const Report& report);

}  // namespace epp::scenarios

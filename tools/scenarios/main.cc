// eppd-scenarios: runs the scenarios of configs/scenarios/ against eppd-sim servers and the
// eppd of this build tree, explains what eppd decided, and exits non-zero when a scenario's
// promise does not hold. See configs/scenarios/README.md.
//
//   eppd-scenarios [--short] [--configs DIR] [--list] [name...]
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tools/scenarios/scenario.h"

namespace {

using epp::scenarios::Scenario;

int usage(const char* problem) {
  if (problem != nullptr) std::cerr << "eppd-scenarios: " << problem << "\n";
  std::cerr << "usage: eppd-scenarios [--short] [--configs DIR] [--list] [name...]\n"
               "  --short        fewer requests and shorter load phases (what the tests run)\n"
               "  --configs DIR  where <name>.yaml is read (default: this source tree's "
               "configs/scenarios)\n"
               "  --list         print the scenarios and exit\n"
               "  name           run only these (default: all, in order)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  epp::scenarios::Options options;
  options.configsDir = EPP_SCENARIO_CONFIGS_DIR;
  options.out = &std::cout;
  std::vector<const Scenario*> chosen;
  const auto& all = epp::scenarios::allScenarios();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--short") {
      options.shortRun = true;
    } else if (arg == "--configs") {
      if (++i == argc) return usage("--configs needs a directory");
      options.configsDir = argv[i];
    } else if (arg == "--list") {
      for (const Scenario& s : all) std::cout << fmt::format("{:<15} {}\n", s.name, s.title);
      return 0;
    } else if (arg == "-h" || arg == "--help") {
      return usage(nullptr);
    } else if (!arg.empty() && arg[0] == '-') {
      return usage(("unknown option " + arg).c_str());
    } else {
      const Scenario* found = nullptr;
      for (const Scenario& s : all) {
        if (arg == s.name) found = &s;
      }
      if (found == nullptr) return usage(("no scenario named " + arg + " (see --list)").c_str());
      chosen.push_back(found);
    }
  }
  if (chosen.empty()) {
    for (const Scenario& s : all) chosen.push_back(&s);
  }

  std::vector<std::string> summary;
  int failed = 0;
  for (const Scenario* s : chosen) {
    std::cout << fmt::format("== {}: {}\n   config: {}\n", s->name, s->title,
                             (options.configsDir / (std::string(s->name) + ".yaml")).string());
    std::cout.flush();
    const auto start = std::chrono::steady_clock::now();
    epp::scenarios::Report report = s->run(options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "\n  promises:\n" << epp::scenarios::formatChecks(report) << "\n";
    failed += !report.ok();
    summary.push_back(
        fmt::format("{:<15} {} ({:.1f} s)", s->name, report.ok() ? "ok" : "FAILED", seconds));
  }
  std::cout << "== summary\n";
  for (const auto& line : summary) std::cout << "   " << line << "\n";
  return failed == 0 ? 0 : 1;
}

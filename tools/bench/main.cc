// eppd-bench: plays Envoy in front of eppd (or round-robin without it) over a fleet of
// model servers, runs one workload against each target in turn, and prints the runs side
// by side. See tools/bench/README.md.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <map>

#include "tools/bench/fleet.h"
#include "tools/bench/report/json.h"
#include "tools/bench/report/plot.h"
#include "tools/bench/report/summary.h"
#include "tools/bench/report/table.h"
#include "tools/bench/runner.h"
#include "tools/bench/transport.h"
#include "tools/bench/workload/spec.h"

namespace epp::bench {
namespace {

struct Options {
  std::string workload;
  std::string target;
  bool direct = false;
  std::vector<std::string> runs;
  std::string fleet;
  std::string json;
  bool jsonRecords = false;
  std::string plot;
  double timeoutSeconds = 300;
  size_t chunkBytes = 64 * 1024;
  bool noProgress = false;
  bool noReset = false;
};

struct TransportFlags {
  std::vector<std::string> runs;
  size_t bodyBytes = 4096;
  size_t concurrency = 64;
  double seconds = 5;
  int rounds = 3;
  size_t chunkBytes = 64 * 1024;
};

int transportMain(const TransportFlags& f) {
  TransportOptions options;
  for (const std::string& text : f.runs) {
    auto target = parseRunTarget(text);
    if (!target) {
      std::cerr << "eppd-bench transport: " << target.error() << "\n";
      return 2;
    }
    if (target->direct) {
      std::cerr << "eppd-bench transport: run '" << target->name << "' is direct: every run "
                << "needs target=HOST:PORT\n";
      return 2;
    }
    options.targets.push_back(*target);
  }
  options.bodyBytes = f.bodyBytes;
  options.concurrency = f.concurrency;
  options.phase = std::chrono::milliseconds(static_cast<int64_t>(f.seconds * 1000));
  options.rounds = f.rounds;
  options.chunkBytes = f.chunkBytes;
  auto results = runTransport(options);
  if (!results) {
    std::cerr << "eppd-bench transport: " << results.error() << "\n";
    return 1;
  }
  std::cout << formatTransport(options, *results);
  return 0;
}

int benchMain(const Options& o) {
  if (o.workload.empty()) {
    std::cerr << "eppd-bench: --workload is required (or the transport subcommand)\n";
    return 2;
  }
  auto spec = parseWorkloadSpec(o.workload);
  if (!spec) {
    std::cerr << "eppd-bench: " << spec.error() << "\n";
    return 2;
  }
  std::vector<RunTarget> targets;
  for (const std::string& text : o.runs) {
    auto target = parseRunTarget(text);
    if (!target) {
      std::cerr << "eppd-bench: " << target.error() << "\n";
      return 2;
    }
    targets.push_back(*target);
  }
  if (!o.target.empty()) {
    auto target = parseHostPort(o.target);
    if (!target) {
      std::cerr << "eppd-bench: --target: " << target.error() << "\n";
      return 2;
    }
    targets.push_back(RunTarget{"eppd", false, *target});
  }
  if (o.direct) targets.push_back(RunTarget{"round-robin", true, {}});
  if (targets.empty()) {
    std::cerr << "eppd-bench: nothing to run: give --target HOST:PORT, --direct or --run\n";
    return 2;
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (targets[i].name == targets[j].name) {
        std::cerr << "eppd-bench: two runs are named '" << targets[i].name << "'\n";
        return 2;
      }
    }
  }
  std::vector<HostPort> fleet;
  if (!o.fleet.empty()) {
    auto parsed = parseFleet(o.fleet);
    if (!parsed) {
      std::cerr << "eppd-bench: " << parsed.error() << "\n";
      return 2;
    }
    fleet = *parsed;
  }
  for (const RunTarget& t : targets) {
    if (t.direct && fleet.empty()) {
      std::cerr << "eppd-bench: run '" << t.name << "' is direct: it needs --fleet\n";
      return 2;
    }
  }

  const std::string canonical = formatWorkloadSpec(*spec);
  std::cout << "workload: " << canonical << "\n";
  const bool terminal = ::isatty(STDOUT_FILENO) == 1 && !o.noProgress;
  std::vector<Run> runs;
  for (const RunTarget& target : targets) {
    std::vector<std::string> warnings;
    if (!fleet.empty() && !o.noReset) warnings = resetFleet(fleet);
    std::optional<PrefixCounters> before;
    if (!fleet.empty()) before = scrapePrefixCounters(fleet, warnings);
    RunOptions options;
    options.target = target;
    options.fleet = fleet;
    options.requestTimeout = std::chrono::nanoseconds(static_cast<int64_t>(o.timeoutSeconds * 1e9));
    options.chunkBytes = o.chunkBytes;
    if (terminal) options.progress = &std::cout;
    auto run = runWorkload(*spec, options);
    if (!run) {
      std::cerr << "eppd-bench: run '" << target.name << "': " << run.error() << "\n";
      return 1;
    }
    if (before) {
      auto after = scrapePrefixCounters(fleet, warnings);
      if (after)
        run->prefix = PrefixCounters{after->hits - before->hits, after->queries - before->queries};
    }
    for (const std::string& w : warnings) {
      std::cerr << "eppd-bench: run '" << target.name << "': warning: " << w << "\n";
    }
    if (run->maxSendLagSeconds > 0.1) {
      std::cerr << fmt::format(
          "eppd-bench: run '{}': warning: requests went out up to {:.0f} ms behind schedule: "
          "the load generator, not the target, limited the rate\n",
          target.name, run->maxSendLagSeconds * 1e3);
    }
    // One example of each error code, so a failing run explains itself.
    std::map<std::string, const RequestRecord*> examples;
    for (const RequestRecord& r : run->records) {
      if (!r.ok()) examples.emplace(r.error, &r);
    }
    for (const auto& [code, record] : examples) {
      std::cerr << "eppd-bench: run '" << target.name << "': error " << code << ", e.g. "
                << record->id << ": " << record->detail << "\n";
    }
    runs.push_back(std::move(*run));
  }

  std::vector<Summary> summaries;
  for (const Run& run : runs) summaries.push_back(summarize(run));
  std::cout << "\n" << formatTable(summaries);
  if (!o.json.empty()) {
    std::ofstream out(o.json, std::ios::trunc);
    out << reportJson(canonical, runs, {o.jsonRecords}).dump(2) << "\n";
    if (!out) {
      std::cerr << "eppd-bench: cannot write " << o.json << "\n";
      return 1;
    }
    std::cout << "json: " << o.json << "\n";
  }
  if (!o.plot.empty()) {
    auto files = writeTtftCdfPlot(o.plot, runs);
    if (!files) {
      std::cerr << "eppd-bench: " << files.error() << "\n";
      return 1;
    }
    if (files->rendered) {
      std::cout << "plot: " << files->image.string() << "\n";
    } else {
      std::cout << "plot: " << files->script.string() << " (" << files->note << ")\n";
    }
  }
  return 0;
}

}  // namespace
}  // namespace epp::bench

int main(int argc, char** argv) {
  epp::bench::Options o;
  CLI::App app{
      "eppd-bench: a load generator that plays Envoy. It sends a workload through eppd over "
      "ext_proc (or round-robin straight to the fleet) and prints the runs side by side.",
      "eppd-bench"};
  app.add_option("--workload,-w", o.workload,
                 "Workload spec, e.g. shared-prefix:groups=150,users=5,system=6000,"
                 "question=1200,output=1000,rate=poisson:10,duration=60s (see README)");
  auto* target = app.add_option("--target", o.target,
                                "A run named 'eppd' through the ext_proc server at HOST:PORT");
  auto* direct =
      app.add_flag("--direct", o.direct, "A run named 'round-robin' straight to the --fleet");
  app.add_option("--run", o.runs,
                 "A run, repeatable, in order: name=NAME,target=HOST:PORT or name=NAME,direct")
      ->excludes(target)
      ->excludes(direct);
  app.add_option("--fleet", o.fleet,
                 "The model servers, HOST:PORT,...: round-robin targets of direct runs; reset "
                 "(POST /sim/reset) before and scraped (/metrics) around every run");
  app.add_option("--json", o.json, "Write the report as JSON to this file");
  app.add_flag("--json-records", o.jsonRecords, "Include every request's record in the JSON");
  app.add_option("--plot", o.plot,
                 "Write the TTFT CDF (gnuplot data and script; PNG when gnuplot is installed) "
                 "into this directory");
  app.add_option("--timeout", o.timeoutSeconds, "Seconds before a request fails as 'timeout'")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--chunk-bytes", o.chunkBytes, "Request body chunk size sent to eppd")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{4} << 20));
  app.add_flag("--no-progress", o.noProgress, "No progress bar, even on a terminal");
  app.add_flag("--no-reset", o.noReset, "Do not POST /sim/reset to the fleet before each run");
  epp::bench::TransportFlags t;
  CLI::App* transport = app.add_subcommand(
      "transport",
      "The ext_proc conversation alone, no model server: each --run in turn with the same "
      "client and load; the first run is the baseline (the null ext_proc server)");
  transport->add_option("--run", t.runs, "name=NAME,target=HOST:PORT[,pid=PID], repeatable")
      ->required();
  transport->add_option("--body-bytes", t.bodyBytes, "Request body size")
      ->capture_default_str()
      ->check(CLI::Range(size_t{64}, size_t{64} << 20));
  transport->add_option("--concurrency", t.concurrency, "Streams in flight at saturation")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  transport->add_option("--seconds", t.seconds, "Length of each phase")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  transport->add_option("--rounds", t.rounds, "Times each target runs each phase")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  transport->add_option("--chunk-bytes", t.chunkBytes, "Request body chunk size")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{4} << 20));
  CLI11_PARSE(app, argc, argv);
  if (transport->parsed()) return epp::bench::transportMain(t);
  return epp::bench::benchMain(o);
}

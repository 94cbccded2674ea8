#include "host/cli/replay_command.h"

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <vector>

#include "host/cli/serve_command.h"
#include "tools/bench/report/json.h"
#include "tools/bench/report/plot.h"
#include "tools/bench/report/summary.h"
#include "tools/bench/report/table.h"
#include "tools/replay/replay.h"
#include "tools/sim/engine_flags.h"

namespace epp::cli {

struct ReplayCommand {
  CLI::App* app = nullptr;
  ServeCommandOptions load;  // --config, --plugin-dir, …
  std::vector<std::string> compare;
  std::string workload;
  int servers = 8;
  int replicas = 1;
  uint64_t seed = 1;
  double scrapeIntervalMs = 50;
  bool json = false;
  std::string plotDir;
  sim::EngineFlags engine;
};

ReplaySubcommand::ReplaySubcommand(CLI::App& app) : command_(std::make_unique<ReplayCommand>()) {
  ReplayCommand& c = *command_;
  c.app = app.add_subcommand(
      "replay",
      "Play a workload in virtual time against simulated servers through a config (and "
      "others with --compare); the way to try a config before it ships");
  addLoadOptions(*c.app, c.load, false);
  c.app->add_option("--compare", c.compare, "More configs to run on the identical workload")
      ->expected(1, -1);
  c.app
      ->add_option("--workload", c.workload,
                   "Workload spec, e.g. shared-prefix:groups=8,users=4,rate=poisson:5,"
                   "duration=60s (see tools/bench/README.md)")
      ->required();
  c.app->add_option("--servers", c.servers, "Simulated model servers")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  c.app
      ->add_option("--replicas", c.replicas,
                   "eppd replicas taking requests in turn, each with its own plugin instances")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  c.app
      ->add_option("--seed", c.seed,
                   "Seed of the workload (overrides its seed=), the engines and the picks")
      ->capture_default_str();
  c.app
      ->add_option("--scrape-interval-ms", c.scrapeIntervalMs,
                   "How often endpoint state is refreshed, as the data layer would")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 60000.0));
  c.app->add_flag("--json", c.json, "Print the JSON report instead of the table");
  c.app->add_option("--plot", c.plotDir, "Write the TTFT CDF plot (gnuplot) into this directory");
  c.engine.add(*c.app);
}

ReplaySubcommand::~ReplaySubcommand() = default;

int ReplaySubcommand::run(std::ostream& out, std::ostream& err) {
  ReplayCommand& c = *command_;
  auto spec = bench::parseWorkloadSpec(c.workload);
  if (!spec) {
    err << "eppd replay: --workload: " << spec.error() << "\n";
    return 2;
  }
  replay::ReplayOptions options;
  options.workload = *spec;
  options.servers = c.servers;
  options.replicas = c.replicas;
  options.engine = c.engine.options();
  options.scrapeIntervalUs = static_cast<int64_t>(c.scrapeIntervalMs * 1000);
  if (c.app->count("--seed") > 0) options.workload.seed = c.seed;
  options.seed = options.workload.seed;
  options.engine.seed = options.workload.seed;

  std::vector<std::string> configs{c.load.config};
  configs.insert(configs.end(), c.compare.begin(), c.compare.end());
  std::vector<bench::Run> runs;
  for (const auto& config : configs) {
    auto started = std::chrono::steady_clock::now();
    auto run = replay::replayConfig(loadOptions(c.load, config), options);
    if (!run) {
      err << "eppd replay: " << run.error() << "\n";
      return 1;
    }
    double cpu = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    err << fmt::format("replayed {} ({} requests, {:.1f} s of virtual time) in {:.2f} s\n",
                       run->name, run->records.size(), run->wallSeconds, cpu);
    runs.push_back(std::move(*run));
  }
  const std::string workload = bench::formatWorkloadSpec(options.workload);
  if (c.json) {
    out << bench::reportJson(workload, runs).dump(2) << "\n";
  } else {
    std::vector<bench::Summary> summaries;
    for (const auto& r : runs) summaries.push_back(bench::summarize(r));
    out << "workload: " << workload << "\n"
        << fmt::format("servers: {} simulated, {} eppd replica{}, seed {}\n\n", options.servers,
                       options.replicas, options.replicas == 1 ? "" : "s", options.seed)
        << bench::formatTable(summaries);
    out << std::endl;
  }
  if (!c.plotDir.empty()) {
    auto plot = bench::writeTtftCdfPlot(c.plotDir, runs);
    if (!plot) {
      err << "eppd replay: --plot: " << plot.error() << "\n";
      return 1;
    }
    err << "plot: " << (plot->rendered ? plot->image.string() : plot->script.string()) << " "
        << plot->note << "\n";
  }
  return 0;
}

}  // namespace epp::cli

// eppd-sim: simulated model servers for trying eppd without GPUs. See README.md.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/sim/engine_flags.h"
#include "tools/sim/sim_server.h"

namespace {

using epp::sim::ServerOptions;

bool writeReadyFile(const std::string& path, const std::vector<int>& ports,
                    const std::vector<int>& kvPorts, const ServerOptions& o) {
  nlohmann::json j{{"ports", ports},
                   {"kvEventsPorts", kvPorts},
                   {"dialect", std::string(epp::sim::dialectName(o.dialect))},
                   {"model", o.model},
                   {"pid", static_cast<int>(::getpid())}};
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump() << "\n";
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  ServerOptions o;
  epp::sim::EngineFlags engineFlags;
  int count = 1;
  std::string dialect = "vllm";
  std::string kvMetric = "kv";
  std::string readyFile;
  std::vector<std::string> loraModules;

  CLI::App app{"eppd-sim: simulated LLM model servers (OpenAI API, engine metrics dialects)",
               "eppd-sim"};
  app.add_option("--port", o.port, "First port; server i listens on port+i (0: any free port)")
      ->capture_default_str();
  app.add_option("--count", count, "Independent servers in this process")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--address", o.address, "Listen address")->capture_default_str();
  app.add_option("--model", o.model, "Served model name")->capture_default_str();
  int kvEventsPort = -1;
  app.add_option("--kv-events-port", kvEventsPort,
                 "Publish KV-cache events (vLLM's ZeroMQ format); server i on this port + i "
                 "(0: any free port; -1: off)")
      ->capture_default_str();
  app.add_option("--lora-modules", loraModules,
                 "LoRA adapters served as models (name or name=path; repeatable or "
                 "comma-separated)")
      ->delimiter(',');
  app.add_option("--dialect", dialect, "Metrics dialect: " + epp::sim::dialectNames())
      ->capture_default_str();
  app.add_option("--kv-usage-metric", kvMetric,
                 "vLLM KV usage gauge: kv (vllm:kv_cache_usage_perc), gpu (the older "
                 "vllm:gpu_cache_usage_perc) or both")
      ->capture_default_str();
  app.add_option("--time-scale", o.timeScale,
                 "Modelled seconds per wall second (10: the model runs 10x faster)")
      ->capture_default_str();
  app.add_option("--default-max-tokens", o.defaultMaxTokens,
                 "Output tokens when a request sets no max_tokens")
      ->capture_default_str();
  engineFlags.add(app);
  app.add_option("--seed", o.engine.seed, "Seed of jitter and faults (server i uses seed+i)")
      ->capture_default_str();
  app.add_option("--error-rate", o.faults.errorRate, "Fraction of completions answered 500")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--stall-after", o.faults.stallAfter,
                 "Stall the engine after this many completion requests (0: never)")
      ->capture_default_str();
  app.add_option("--stall-seconds", o.faults.stallSeconds, "How long a stall lasts (wall)")
      ->capture_default_str();
  app.add_option("--metrics-delay-ms", o.faults.metricsDelayMs, "Delay of every /metrics answer")
      ->capture_default_str();
  app.add_option("--crash-after", o.faults.crashAfter,
                 "Serve this many completion requests, then crash on the next (0: never)")
      ->capture_default_str();
  app.add_option("--load-seconds", o.faults.loadSeconds,
                 "Answer 503 'Loading model' for this long after start")
      ->capture_default_str();
  std::string metricsFault = "ok";
  app.add_option("--metrics-fault", metricsFault,
                 "/metrics answers: ok, garbage (text no Prometheus parser accepts) or error "
                 "(HTTP 500); POST /sim/fault switches it while running")
      ->capture_default_str();
  app.add_option("--health-status", o.faults.healthStatus,
                 "/health answers this HTTP status (0: normal)")
      ->capture_default_str()
      ->check(CLI::Range(0, 599));
  app.add_option("--ready-file", readyFile,
                 "Write {\"ports\": [...]} here once every server listens");
  CLI11_PARSE(app, argc, argv);
  const uint64_t seed = o.engine.seed;
  o.engine = engineFlags.options();
  o.engine.seed = seed;

  auto d = epp::sim::parseDialect(dialect);
  if (!d) {
    std::cerr << "eppd-sim: unknown --dialect '" << dialect << "' (one of "
              << epp::sim::dialectNames() << ")\n";
    return 2;
  }
  o.dialect = *d;
  auto mf = epp::sim::parseMetricsFault(metricsFault);
  if (!mf) {
    std::cerr << "eppd-sim: --metrics-fault must be ok, garbage or error\n";
    return 2;
  }
  o.faults.metrics = *mf;
  if (o.faults.healthStatus != 0 && o.faults.healthStatus < 100) {
    std::cerr << "eppd-sim: --health-status must be 0 or an HTTP status\n";
    return 2;
  }
  auto kv = epp::sim::parseKvUsageMetric(kvMetric);
  if (!kv) {
    std::cerr << "eppd-sim: --kv-usage-metric must be kv, gpu or both\n";
    return 2;
  }
  o.kvUsage = *kv;
  for (const auto& m : loraModules) o.loras.push_back(m.substr(0, m.find('=')));
  if (!o.loras.empty() && o.engine.maxLoras == 0) {
    std::cerr << "eppd-sim: --lora-modules needs --max-loras ≥ 1\n";
    return 2;
  }

  // Signals go to sigtimedwait below, not to the server threads (they inherit this mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::unique_ptr<epp::sim::SimServer>> servers;
  std::vector<int> ports;
  std::vector<int> kvPorts;
  for (int i = 0; i < count; ++i) {
    ServerOptions oi = o;
    oi.port = o.port == 0 ? 0 : o.port + i;
    oi.engine.seed = seed + static_cast<uint64_t>(i);
    if (kvEventsPort >= 0) oi.kvEventsPort = kvEventsPort == 0 ? 0 : kvEventsPort + i;
    auto server = epp::sim::SimServer::start(oi);
    if (!server) {
      std::cerr << "eppd-sim: " << server.error() << "\n";
      return 1;
    }
    ports.push_back((*server)->port());
    kvPorts.push_back((*server)->kvEventsPort());
    servers.push_back(std::move(*server));
  }
  std::string portList;
  for (int p : ports) portList += (portList.empty() ? "" : ",") + std::to_string(p);
  std::cout << "eppd-sim ready: " << count << " server(s), dialect "
            << epp::sim::dialectName(o.dialect) << ", model " << o.model << ", time scale "
            << o.timeScale << ", ports " << portList << std::endl;
  if (!readyFile.empty() && !writeReadyFile(readyFile, ports, kvPorts, o)) {
    std::cerr << "eppd-sim: cannot write " << readyFile << "\n";
    return 1;
  }

  const timespec poll{0, 100'000'000};
  while (true) {
    if (sigtimedwait(&signals, nullptr, &poll) > 0) break;
    bool allCrashed = true;
    for (auto& s : servers) allCrashed = allCrashed && s->crashed();
    if (allCrashed) {
      std::cerr << "eppd-sim: crashed as asked (--crash-after " << o.faults.crashAfter << ")\n";
      return 3;
    }
  }
  servers.clear();
  std::cout << "eppd-sim stopped" << std::endl;
  return 0;
}

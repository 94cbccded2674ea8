#include "host/runtime/serve.h"

#include <prometheus/exposer.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "host/admin/admin_server.h"
#include "host/common/logging.h"
#include "host/common/metrics_registry.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/extproc/health_state.h"
#include "host/extproc/server.h"
#include "host/runtime/metrics.h"
#include "host/runtime/pipeline.h"

namespace epp::runtime {
namespace {

std::vector<datalayer::EndpointState> staticEndpoints(const config::PickerConfig& c) {
  std::vector<datalayer::EndpointState> out;
  for (const auto& e : c.endpoints) {
    datalayer::EndpointState s;
    s.address = e.address;
    s.port = e.port;
    s.name = e.name;
    s.engine = e.engine;
    s.role = e.role;
    s.pool = e.pool;
    s.labels = e.labels;
    s.source = "static";
    s.health = EPP_HEALTH_HEALTHY;
    out.push_back(std::move(s));
  }
  return out;
}

std::string listenAddress(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// Blocks SIGINT/SIGTERM in every thread started after this, so sigwait sees them.
sigset_t blockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

int serve(const ServeOptions& options) {
  auto& log = *common::logger();
  sigset_t stopSignals = blockStopSignals();

  auto loaded = loadConfiguration(options.load, 1);
  if (!loaded) {
    log.error("config: {}", loaded.error());
    return 1;
  }
  for (const auto& w : loaded->pluginWarnings) log.warn("plugin: {}", w);

  std::mutex snapshotMutex;
  ConfigSnapshotPtr snapshot = loaded->snapshot;
  auto currentSnapshot = [&]() {
    std::lock_guard<std::mutex> lock(snapshotMutex);
    return snapshot;
  };
  const config::ServerSpec& server = snapshot->config.server;
  Metrics::get().configLoaded(snapshot->generation, snapshot->config.sha256);

  datalayer::EndpointStore endpoints;
  endpoints.replace(staticEndpoints(snapshot->config));
  DecisionLog decisions(static_cast<size_t>(std::max(0, server.decisionHistory)));
  Pipeline pipeline(currentSnapshot, endpoints, decisions);

  extproc::HealthState health;
  extproc::ServerOptions grpcOptions;
  grpcOptions.address = listenAddress("0.0.0.0", options.extprocPort.value_or(server.extprocPort));
  grpcOptions.healthAddress =
      listenAddress("0.0.0.0", options.healthPort.value_or(server.healthPort));
  grpcOptions.stream.onStreamEnd = [](const extproc::StreamOutcome& o) {
    Metrics::get().streamEnded(extproc::toString(o.result), o.httpStatus);
  };
  auto grpc = extproc::Server::start(grpcOptions, pipeline, health);
  if (!grpc) {
    log.error("{}", grpc.error());
    return 1;
  }

  std::unique_ptr<prometheus::Exposer> exposer;
  int metricsPort = options.metricsPort.value_or(server.metricsPort);
  try {
    exposer =
        std::make_unique<prometheus::Exposer>(listenAddress(server.metricsAddress, metricsPort), 2);
    exposer->RegisterCollectable(common::metricsRegistryPtr());
  } catch (const std::exception& e) {
    log.error("metrics: cannot listen on port {}: {}", metricsPort, e.what());
    return 1;
  }

  auto admin =
      admin::AdminServer::start(options.adminAddress.value_or(server.adminAddress),
                                options.adminPort.value_or(server.adminPort),
                                {currentSnapshot, loaded->registry.get(), &endpoints, &decisions});
  if (!admin) {
    log.error("{}", admin.error());
    return 1;
  }

  int exposedMetricsPort =
      exposer->GetListeningPorts().empty() ? metricsPort : exposer->GetListeningPorts().front();
  health.setReady(endpoints.current()->size() > 0);
  log.info(
      "eppd serving: ext_proc :{}, health :{}, metrics :{}, admin {}:{}; config {} "
      "(generation {}, sha256 {}), {} endpoints",
      (*grpc)->port(), (*grpc)->healthPort(), exposedMetricsPort,
      options.adminAddress.value_or(server.adminAddress), (*admin)->port(), snapshot->config.source,
      snapshot->generation, snapshot->config.sha256.substr(0, 12), endpoints.current()->size());
  if (!options.readyFile.empty()) {
    nlohmann::json ready = {{"pid", ::getpid()},
                            {"extprocPort", (*grpc)->port()},
                            {"healthPort", (*grpc)->healthPort()},
                            {"metricsPort", exposedMetricsPort},
                            {"adminPort", (*admin)->port()}};
    std::string tmp = options.readyFile + ".tmp";
    std::ofstream(tmp) << ready.dump() << "\n";
    std::rename(tmp.c_str(), options.readyFile.c_str());
  }

  int sig = 0;
  sigwait(&stopSignals, &sig);
  log.info("received signal {}: draining for up to {} s", sig, options.drainSeconds);
  health.setReady(false);
  (*grpc)->shutdown(std::chrono::seconds(options.drainSeconds));
  // Each civetweb server (metrics, admin) takes up to its 2 s poll quantum to stop: stop
  // them side by side rather than one after the other.
  std::thread stopMetrics([&exposer] { exposer.reset(); });
  admin->reset();
  stopMetrics.join();
  log.info("eppd stopped");
  return 0;
}

}  // namespace epp::runtime

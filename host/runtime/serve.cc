#include "host/runtime/serve.h"

#include <fmt/format.h>
#include <prometheus/exposer.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "host/admin/admin_auth.h"
#include "host/admin/admin_server.h"
#include "host/common/logging.h"
#include "host/common/metrics_registry.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/datalayer/metrics_scraper.h"
#include "host/extproc/health_state.h"
#include "host/extproc/server.h"
#include "host/extproc/tls_credentials.h"
#include "host/runtime/data_events.h"
#include "host/runtime/endpoint_sources.h"
#include "host/runtime/live_config.h"
#include "host/runtime/metrics.h"
#include "host/runtime/pipeline.h"
#include "host/runtime/pool_metrics.h"
#include "host/runtime/reload_controller.h"
#include "host/runtime/security_metrics.h"
#include "host/runtime/snapshot_reaper.h"
#include "host/runtime/static_endpoints.h"

namespace epp::runtime {
namespace {

std::string listenAddress(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// Blocks SIGINT, SIGTERM and SIGHUP in every thread started after this, so sigwait sees
// them.
sigset_t blockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// The config's `server:` with the command line's overrides; checks what only makes sense
// as a whole (a certificate without its key).
common::Result<config::ServerSpec> serverSettings(const ServeOptions& options,
                                                  config::ServerSpec server) {
  if (options.adminAddress) server.adminAddress = *options.adminAddress;
  if (options.metricsAddress) server.metricsAddress = *options.metricsAddress;
  if (options.tlsCertFile) server.tls.certFile = *options.tlsCertFile;
  if (options.tlsKeyFile) server.tls.keyFile = *options.tlsKeyFile;
  if (options.tlsClientCaFile) server.tls.clientCaFile = *options.tlsClientCaFile;
  if (options.adminTokenFile) server.adminTokenFile = *options.adminTokenFile;
  const config::TlsSpec& tls = server.tls;
  if (tls.certFile.empty() != tls.keyFile.empty()) {
    return common::Error{"tls: a certificate file and a key file go together; only the " +
                         std::string(tls.certFile.empty() ? "key" : "certificate") +
                         " file is given"};
  }
  if (!tls.clientCaFile.empty() && tls.certFile.empty()) {
    return common::Error{"tls: a client CA file (mTLS) needs a certificate and key file"};
  }
  return server;
}

bool isLoopback(const std::string& address) {
  return address.starts_with("127.") || address == "::1";
}

// TLS credentials for the ext_proc listener, and a monitor that logs and counts rotations.
common::Result<std::shared_ptr<grpc::ServerCredentials>> extprocCredentials(
    const config::TlsSpec& tls, std::unique_ptr<extproc::TlsFileMonitor>& monitor) {
  extproc::TlsServerFiles files{
      .certFile = tls.certFile,
      .keyFile = tls.keyFile,
      .clientCaFile = tls.clientCaFile,
      .refresh = std::chrono::seconds(tls.refreshIntervalNs / 1'000'000'000)};
  auto info = extproc::checkTlsServerFiles(files);
  if (!info) return common::Error{"ext_proc " + info.error()};
  auto& log = *common::logger();
  log.info("ext_proc TLS: certificate '{}' (serial {}), {}; files re-read every {} s; {}",
           info->subject, info->serial, info->expired ? "EXPIRED" : "valid", files.refresh.count(),
           tls.clientCaFile.empty()
               ? std::string("clients are not authenticated")
               : fmt::format("mTLS: clients need a certificate signed by one of the {} CAs of {}",
                             info->clientCaCertificates, tls.clientCaFile));
  if (info->expired) {
    log.warn("ext_proc TLS: the certificate in {} has expired: clients will refuse it",
             tls.certFile);
  }
  SecurityMetrics::get().tlsCertificate(info->notAfterUnix);
  monitor = std::make_unique<extproc::TlsFileMonitor>(
      files, [](const common::Result<extproc::TlsCertificateInfo>& changed) {
        SecurityMetrics::get().tlsReload(changed.ok());
        if (!changed) {
          common::logger()->error(
              "ext_proc TLS files changed but are unusable: {}; handshakes fail until they "
              "are fixed",
              changed.error());
          return;
        }
        SecurityMetrics::get().tlsCertificate(changed->notAfterUnix);
        common::logger()->info("ext_proc TLS files changed: certificate '{}' (serial {}){}",
                               changed->subject, changed->serial,
                               changed->expired ? ", EXPIRED" : "");
      });
  return extproc::makeTlsServerCredentials(files);
}

}  // namespace

int serve(const ServeOptions& options) {
  auto& log = *common::logger();
  sigset_t signals = blockSignals();
  // Declared first, so it outlives every snapshot holder and destroys what is left last.
  SnapshotReaper reaper;

  auto loaded = loadConfiguration(options.load, 1);
  if (!loaded) {
    log.error("config: {}", loaded.error());
    return 1;
  }
  for (const auto& w : loaded->pluginWarnings) log.warn("plugin: {}", w);

  LiveConfig live(loaded->snapshot, loaded->registry);
  auto currentSnapshot = [&live]() { return live.current(); };
  ConfigSnapshotPtr snapshot = loaded->snapshot;
  // Listeners and the decision log are sized once: a reload changes neither.
  auto settings = serverSettings(options, snapshot->config.server);
  if (!settings) {
    log.error("{}", settings.error());
    return 1;
  }
  const config::ServerSpec server = *settings;
  Metrics::get().configLoaded(snapshot->generation, snapshot->config.sha256);
  Metrics::get().liveSnapshots(1);
  logAdmissionMode(*snapshot);

  datalayer::EndpointStore endpoints;
  DecisionLog decisions(static_cast<size_t>(std::max(0, server.decisionHistory)));
  Pipeline pipeline(currentSnapshot, endpoints, decisions);
  // Plugins' data hooks: pool membership and KV-cache events.
  DataEvents dataEvents(endpoints);
  // Every published endpoint snapshot updates the pool gauges, lets flow control look
  // whether the pool has room again, and tells plugins who joined or left.
  endpoints.setPublishListener(
      [wake = pipeline.flowWaker(), &dataEvents](const datalayer::EndpointSnapshot& s) {
        exportPoolMetrics(s);
        wake();
        dataEvents.endpointsPublished(s);
      });
  endpoints.replace(staticEndpoints(snapshot->config));
  dataEvents.configPublished(*snapshot);
  // Polls endpoint metrics with the adapters and settings of whichever snapshot is current.
  datalayer::MetricsScraper scraper(endpoints, [&live] { return live.current()->scrape; });

  extproc::HealthState health;
  extproc::ServerOptions grpcOptions;
  grpcOptions.address = listenAddress("0.0.0.0", options.extprocPort.value_or(server.extprocPort));
  grpcOptions.healthAddress =
      listenAddress("0.0.0.0", options.healthPort.value_or(server.healthPort));
  grpcOptions.stream.maxRequestBodyBytes = static_cast<size_t>(server.maxRequestBodyBytes);
  grpcOptions.stream.maxRequestHeaders = static_cast<size_t>(server.maxRequestHeaders);
  grpcOptions.stream.maxRequestHeaderBytes = static_cast<size_t>(server.maxRequestHeaderBytes);
  grpcOptions.stream.onStreamEnd = [](const extproc::StreamOutcome& o) {
    Metrics::get().streamEnded(extproc::toString(o.result), o.httpStatus);
    if (!o.limit.empty()) SecurityMetrics::get().requestRefused(o.limit);
  };
  std::unique_ptr<extproc::TlsFileMonitor> tlsMonitor;
  if (server.tls.enabled()) {
    auto credentials = extprocCredentials(server.tls, tlsMonitor);
    if (!credentials) {
      log.error("{}", credentials.error());
      return 1;
    }
    grpcOptions.credentials = *credentials;
  }
  std::shared_ptr<admin::AdminToken> adminToken;
  if (!server.adminTokenFile.empty()) {
    auto token = admin::AdminToken::load(server.adminTokenFile);
    if (!token) {
      log.error("{}", token.error());
      return 1;
    }
    adminToken = *token;
  } else if (!isLoopback(server.adminAddress)) {
    log.warn(
        "admin endpoint on {} without a token (server.adminTokenFile): whoever reaches it can "
        "change endpoint state and reload the config",
        server.adminAddress);
  }
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

  // file and dns sources add their endpoints beside the static ones as they learn them.
  EndpointSources sources(
      endpoints, [&health, &endpoints] { health.setReady(endpoints.current()->size() > 0); });
  sources.apply(live.current()->config.endpointSources);

  ReloadController::Options reloadOptions;
  reloadOptions.load = options.load;
  reloadOptions.watch = options.watch;
  reloadOptions.quiet = std::chrono::milliseconds(std::max(0, options.reloadDebounceMs));
  reloadOptions.maxDelay = std::max(reloadOptions.quiet * 10, std::chrono::milliseconds(2000));
  reloadOptions.onPublished = [&health, &endpoints, &sources,
                               &dataEvents](const ConfigSnapshot& published) {
    dataEvents.configPublished(published);
    sources.apply(published.config.endpointSources);
    health.setReady(endpoints.current()->size() > 0);
    logAdmissionMode(published);
  };
  ReloadController reloads(reloadOptions, live, endpoints, *loaded);
  // From here only `live` holds the first snapshot and registry, so that a reload can
  // release them (and unload their libraries) once no request uses them.
  loaded.value().snapshot.reset();
  loaded.value().registry.reset();
  snapshot.reset();

  admin::AdminSources adminSources;
  adminSources.config = currentSnapshot;
  adminSources.registry = [&live] { return live.registry(); };
  adminSources.liveSnapshots = [&live] { return live.liveSnapshots(); };
  adminSources.lastReload = [&reloads] { return reloads.lastOutcome(); };
  adminSources.reload = [&reloads] { return reloads.reloadNow("POST /reload"); };
  adminSources.endpoints = &endpoints;
  adminSources.decisions = &decisions;
  adminSources.flowControl = [&pipeline] { return pipeline.flowControl().stats(); };
  auto admin =
      admin::AdminServer::start(server.adminAddress, options.adminPort.value_or(server.adminPort),
                                std::move(adminSources), adminToken);
  if (!admin) {
    log.error("{}", admin.error());
    return 1;
  }

  int exposedMetricsPort =
      exposer->GetListeningPorts().empty() ? metricsPort : exposer->GetListeningPorts().front();
  health.setReady(endpoints.current()->size() > 0);
  reloads.start();
  scraper.start();
  {
    ConfigSnapshotPtr current = live.current();
    log.info(
        "eppd serving: ext_proc :{}{}, health :{}, metrics {}:{}, admin {}:{}{}; config {} "
        "(generation {}, sha256 {}), {} endpoints; reload on {}SIGHUP and POST /reload",
        (*grpc)->port(),
        !server.tls.enabled()             ? " (plaintext)"
        : server.tls.clientCaFile.empty() ? " (TLS)"
                                          : " (mTLS)",
        (*grpc)->healthPort(), server.metricsAddress, exposedMetricsPort, server.adminAddress,
        (*admin)->port(), adminToken ? " (bearer token)" : "", current->config.source,
        current->generation, current->config.sha256.substr(0, 12), endpoints.current()->size(),
        options.watch ? "file changes, " : "");
  }
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
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) reloads.notify("SIGHUP");
  log.info("received signal {}: draining for up to {} s", sig, options.drainSeconds);
  // No reload publishes while draining; one in progress finishes first.
  reloads.stop();
  sources.stop();
  scraper.stop();
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

// File: host/admin/admin_server.h
//
// eppd's admin HTTP view (JSON; localhost by default):
//   GET  /config           generation, hash, source, loadedAt, profiles, plugins, the last
//                          reload's outcome and the generations still alive
//   GET  /plugins          every loaded library version (with how many live snapshots hold
//                          it) and the configured instances
//   POST /reload           reload now; answers with the outcome (200 success or unchanged,
//                          422 failure)
//   GET  /endpoints        every endpoint with state, age, health, source; a pool summary
//   GET  /decisions?n=N    the last N decisions, explained
//   GET  /flowcontrol      flow control: the gate, limits, and per priority band its
//                          policies and what each flow has queued
//   POST /endpoints/state  set an endpoint's metrics by hand (what tests use): {"endpoint":
//                          "ip:port", "waiting": 3, "running": 1, "kvCacheUsage": 0.4,
//                          "activeLoras": [...], ...}. From then on the scraper leaves that
//                          endpoint alone; {"endpoint": "ip:port", "manual": false} hands it
//                          back.
//
// With a token (server.adminTokenFile, admin_auth.h), every request must carry
// "Authorization: Bearer <token>"; others get 401, are logged with the peer address and
// counted in eppd_admin_unauthorized_requests_total{reason}.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/admin/admin_auth.h"
#include "host/common/result.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/flowcontrol/flow_queues.h"
#include "host/loader/plugin_registry.h"
#include "host/runtime/config_snapshot.h"
#include "host/runtime/decision_log.h"
#include "host/runtime/reload_outcome.h"

class CivetServer;

namespace epp::admin {

struct AdminSources {
  std::function<runtime::ConfigSnapshotPtr()> config;
  std::function<std::shared_ptr<const loader::PluginRegistry>()> registry;
  // Every config snapshot still alive, oldest first; optional.
  std::function<std::vector<runtime::ConfigSnapshotPtr>()> liveSnapshots;
  std::function<std::optional<runtime::ReloadOutcome>()> lastReload;  // optional
  std::function<runtime::ReloadOutcome()> reload;                     // optional: POST /reload
  datalayer::EndpointStore* endpoints = nullptr;
  runtime::DecisionLog* decisions = nullptr;
  // What flow control has queued, by band and flow; optional: GET /flowcontrol.
  std::function<std::vector<flowcontrol::BandStats>()> flowControl;
};

class AdminServer {
 public:
  // Binds "address:port" (port 0 picks a free port). With `token`, every request needs it.
  static common::Result<std::unique_ptr<AdminServer>> start(
      const std::string& address, int port, AdminSources sources,
      std::shared_ptr<AdminToken> token = nullptr);
  ~AdminServer();
  int port() const { return port_; }

 private:
  AdminServer() = default;
  struct Handlers;
  class TokenCheck;
  std::unique_ptr<CivetServer> server_;
  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<TokenCheck> tokenCheck_;
  int port_ = 0;
};

}  // namespace epp::admin

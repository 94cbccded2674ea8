// File: host/extproc/server.h
//
// eppd's gRPC listeners: ext_proc (9002 by default) and grpc.health.v1 on its own port
// (9003), as the reference EPP has them. The ext_proc listener answers health checks too,
// because Envoy's cluster health check (grpc_health_check.service_name
// envoy.service.ext_proc.v3.ExternalProcessor) goes to the ext_proc port.
//
// `credentials` (TLS or mTLS) apply to the ext_proc listener only. The health listener is
// always plaintext: the kubelet's gRPC probes cannot speak TLS, and it serves nothing but
// the serving status (Envoy's health check over TLS goes to the ext_proc port).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "host/common/result.h"
#include "host/extproc/extproc_server.h"
#include "host/extproc/health_service.h"
#include "host/extproc/health_state.h"
#include "host/extproc/request_pipeline.h"
#include "host/extproc/stream_options.h"

namespace epp::extproc {

struct ServerOptions {
  // host:port; port 0 picks a free port (see Server::port()).
  std::string address = "0.0.0.0:9002";
  // Listener for grpc.health.v1 alone; empty: none.
  std::string healthAddress = "0.0.0.0:9003";
  // The ext_proc listener's; null: plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  StreamOptions stream;
};

class Server {
 public:
  // Binds and starts both listeners; an error names the address that could not be bound.
  // `pipeline` and `health` must outlive the Server.
  static common::Result<std::unique_ptr<Server>> start(ServerOptions options,
                                                       RequestPipeline& pipeline,
                                                       HealthState& health);
  // Shuts down with no drain time if shutdown() was not called.
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  int healthPort() const { return healthPort_; }
  ExtProcServer& service() { return *service_; }

  // Drains: health turns NOT_SERVING, no new streams are accepted, open streams get up to
  // `drain` to finish, then are cancelled. Returns when every stream has ended. Idempotent.
  void shutdown(std::chrono::milliseconds drain);
  // Blocks until shutdown() has completed.
  void wait();

 private:
  Server(HealthState& health, RequestPipeline& pipeline, const StreamOptions& options);

  std::unique_ptr<ExtProcServer> service_;
  // One per listener: each is shut down with its server.
  std::unique_ptr<HealthService> extprocHealth_;
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<grpc::Server> extproc_;
  std::unique_ptr<grpc::Server> healthServer_;
  int port_ = 0;
  int healthPort_ = 0;
  std::once_flag shutdownOnce_;
};

}  // namespace epp::extproc

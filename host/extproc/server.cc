#include "host/extproc/server.h"

#include <climits>
#include <utility>

#include "host/common/logging.h"

namespace epp::extproc {
namespace {

std::shared_ptr<grpc::ServerCredentials> credentialsOf(const ServerOptions& options) {
  return options.credentials ? options.credentials : grpc::InsecureServerCredentials();
}

}  // namespace

Server::Server(HealthState& health, RequestPipeline& pipeline, const StreamOptions& options)
    : service_(std::make_unique<ExtProcServer>(pipeline, options)),
      extprocHealth_(std::make_unique<HealthService>(health)),
      health_(std::make_unique<HealthService>(health)) {}

common::Result<std::unique_ptr<Server>> Server::start(ServerOptions options,
                                                      RequestPipeline& pipeline,
                                                      HealthState& health) {
  // Health is our HealthService; gRPC's built-in one (a process-wide switch) would clash.
  grpc::EnableDefaultHealthCheckService(false);
  // One message may carry a whole body: let it through up to the body limit so an
  // oversized body gets its 413 rather than a gRPC RESOURCE_EXHAUSTED.
  const size_t maxMessage = options.stream.maxRequestBodyBytes + (1u << 20);
  const int maxReceive = maxMessage > INT_MAX ? INT_MAX : static_cast<int>(maxMessage);

  std::unique_ptr<Server> server(new Server(health, pipeline, options.stream));

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, credentialsOf(options), &server->port_);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->extprocHealth_.get());
  builder.SetMaxReceiveMessageSize(maxReceive);
  // gRPC sets SO_REUSEPORT by default: a second eppd on the same port would silently share
  // the traffic instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  server->extproc_ = builder.BuildAndStart();
  if (!server->extproc_ || server->port_ == 0) {
    return common::Error{"ext_proc: cannot listen on " + options.address};
  }

  if (!options.healthAddress.empty()) {
    grpc::ServerBuilder healthBuilder;
    healthBuilder.AddListeningPort(options.healthAddress, grpc::InsecureServerCredentials(),
                                   &server->healthPort_);
    healthBuilder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    healthBuilder.RegisterService(server->health_.get());
    server->healthServer_ = healthBuilder.BuildAndStart();
    if (!server->healthServer_ || server->healthPort_ == 0) {
      server->healthServer_.reset();
      return common::Error{"health: cannot listen on " + options.healthAddress};
    }
  }
  common::logger()->info("ext_proc listening on port {}; health on port {}", server->port_,
                         server->healthPort_);
  return server;
}

Server::~Server() { shutdown(std::chrono::milliseconds(0)); }

void Server::shutdown(std::chrono::milliseconds drain) {
  std::call_once(shutdownOnce_, [&] {
    // NOT_SERVING first, for good: probes and Envoy's health check see the drain.
    extprocHealth_->shutdown();
    health_->shutdown();
    if (extproc_) {
      extproc_->Shutdown(std::chrono::system_clock::now() + drain);
      extproc_->Wait();
    }
    if (healthServer_) {
      // Watch streams end by themselves after their last NOT_SERVING: a moment to send it.
      healthServer_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
      healthServer_->Wait();
    }
  });
}

void Server::wait() {
  if (extproc_) extproc_->Wait();
  if (healthServer_) healthServer_->Wait();
}

}  // namespace epp::extproc

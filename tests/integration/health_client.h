// File: tests/integration/health_client.h
//
// grpc.health.v1 Check, as Kubernetes probes and Envoy's gRPC health check ask it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

namespace epp::testing {

struct HealthCheck {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;  // NOT_FOUND for an unknown service
  std::string message;                                // the status message
  // Over TLS: the common name of the certificate the server presented.
  std::string peerCommonName;
  // grpc.health.v1.HealthCheckResponse.ServingStatus: 1 SERVING, 2 NOT_SERVING.
  int servingStatus = 0;
  bool serving() const { return code == grpc::StatusCode::OK && servingStatus == 1; }
};

inline constexpr int kServing = 1;
inline constexpr int kNotServing = 2;

HealthCheck checkHealth(const std::string& target, const std::string& service,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));
// The same over any channel (tlsChannel() in envoy_client.h: the ext_proc port over TLS).
HealthCheck checkHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace epp::testing

// File: host/extproc/health_service.h
//
// grpc.health.v1.Health on the gRPC callback API, answering from a HealthState: Check for
// Kubernetes probes and Envoy's gRPC health check, Watch for clients that stream status
// changes. After shutdown() every known service is NOT_SERVING and Watch streams end, so a
// draining eppd is taken out of rotation before its listener closes.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <mutex>
#include <set>

#include "host/extproc/health_state.h"
#include "host/extproc/proto/health.grpc.pb.h"

namespace epp::extproc {

class HealthService final : public ::grpc::health::v1::Health::CallbackService {
 public:
  // `state` must outlive this service.
  explicit HealthService(HealthState& state);
  ~HealthService() override;

  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  void shutdown();
  bool isShutdown() const { return shutdown_.load(std::memory_order_acquire); }
  // The wire status (grpc.health.v1 ServingStatus) of `service` now.
  int wireStatus(std::string_view service) const;

  class Watcher;

 private:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const ::grpc::health::v1::HealthCheckRequest* request,
                                  ::grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<::grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const ::grpc::health::v1::HealthCheckRequest* request) override;

  friend class Watcher;
  void removeWatcher(Watcher* watcher);

  HealthState& state_;
  std::atomic<bool> shutdown_{false};
  std::mutex mu_;
  std::set<Watcher*> watchers_;
};

}  // namespace epp::extproc

// File: host/extproc/health_state.h
//
// What eppd's grpc.health.v1 services answer (GIE answers the same on its health port):
// `liveness` is SERVING while the process serves; `readiness`,
// `envoy.service.ext_proc.v3.ExternalProcessor` (what Envoy's cluster health check asks)
// and "" follow setReady(), false until the config is loaded and endpoints are known. Any
// other name is unknown (NOT_FOUND). One HealthState per process, shared by every server.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string_view>

namespace epp::extproc {

enum class ServingStatus { kServing, kNotServing, kUnknownService };

class HealthState {
 public:
  static constexpr std::string_view kLiveness = "liveness";
  static constexpr std::string_view kReadiness = "readiness";
  static constexpr std::string_view kExtProcService = "envoy.service.ext_proc.v3.ExternalProcessor";

  void setReady(bool ready);
  bool ready() const;
  ServingStatus status(std::string_view service) const;

  // `listener` runs after each change of readiness, on the thread that changed it, with
  // no HealthState lock held. unsubscribe() returns once no call to it is running.
  using Listener = std::function<void()>;
  uint64_t subscribe(Listener listener);
  void unsubscribe(uint64_t id);

 private:
  mutable std::mutex mu_;
  bool ready_ = false;
  // Serialises listener calls against unsubscribe (a Watch stream ending).
  std::mutex notifyMu_;
  std::map<uint64_t, Listener> listeners_;
  uint64_t nextId_ = 1;
};

}  // namespace epp::extproc

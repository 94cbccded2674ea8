// File: host/loader/instance_host.h
//
// The host's record of one plugin instance: the object behind epp_instance_host_ptr. It
// names the instance in log lines and owns the metric handles the instance registered.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "epp/abi.h"
#include "host/loader/plugin_metrics.h"

namespace epp::loader {

class InstanceHost {
 public:
  InstanceHost(std::string name, std::string type_name);
  InstanceHost(const InstanceHost&) = delete;
  InstanceHost& operator=(const InstanceHost&) = delete;

  const std::string& name() const { return name_; }
  const std::string& typeName() const { return type_name_; }
  spdlog::logger& logger() const { return *logger_; }
  InstanceMetrics& metrics() { return metrics_; }

  // True while the type's `create` runs: metric registration is allowed only then.
  bool creating() const { return creating_.load(std::memory_order_acquire); }
  void setCreating(bool creating) { creating_.store(creating, std::memory_order_release); }

  // The KV-event publishers the instance asked to follow (kv_events_subscribe, ABI 1.3).
  struct KvSubscription {
    int port = 0;
    std::string topicFilter;
  };
  const std::optional<KvSubscription>& kvSubscription() const { return kvSubscription_; }
  void setKvSubscription(KvSubscription s) { kvSubscription_ = std::move(s); }

  epp_instance_host_ptr handle() { return reinterpret_cast<epp_instance_host_ptr>(this); }
  static InstanceHost* fromHandle(epp_instance_host_ptr handle) {
    return reinterpret_cast<InstanceHost*>(handle);
  }

 private:
  std::string name_;
  std::string type_name_;
  std::shared_ptr<spdlog::logger> logger_;
  InstanceMetrics metrics_;
  std::atomic<bool> creating_{false};
  std::optional<KvSubscription> kvSubscription_;  // written only during create
};

}  // namespace epp::loader

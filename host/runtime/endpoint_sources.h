// File: host/runtime/endpoint_sources.h
//
// Runs the config's `endpointSources:` (file, dns, kubernetes) next to the static `endpoints:`.
// Each source replaces only its own endpoints in the EndpointStore, so several sources feed one
// set; an endpoint that stays (same pool and ip:port) keeps its learnt state and in-flight
// count. An address another source already reports in the same pool is skipped with a
// warning (the first reporter keeps it). apply() is called at start and after each
// reload: sources whose spec is unchanged keep running, others stop (their endpoints
// leave) or start.
//
// Metrics: eppd_endpoint_source_errors_total{source,name} (failed reads, resolutions or
// API requests) and eppd_endpoint_source_endpoints{source,name} (endpoints the source
// reports now). The dns and kubernetes sources run on one io_context thread, shared.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "host/config/picker_config.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/runtime/dns_endpoint_source.h"
#include "host/runtime/kubernetes_endpoint_source.h"

namespace epp::runtime {

class FileEndpointSource;

// Replaces the endpoints `source` reported before (`owned`: pool and ip:port keys) with
// `fresh`, keeping learnt state of those that stay. Returns the keys now owned; an entry of
// `fresh` whose key another source holds is left out, and described in `skipped`.
std::set<std::string> publishSourceEndpoints(datalayer::EndpointStore& store,
                                             const std::string& source,
                                             const std::set<std::string>& owned,
                                             std::vector<datalayer::EndpointState> fresh,
                                             std::vector<std::string>* skipped = nullptr);

class EndpointSources {
 public:
  // `onChange` runs after each published change (readiness follows the endpoint count).
  EndpointSources(datalayer::EndpointStore& store, std::function<void()> onChange,
                  DnsResolver resolver = systemDnsResolver(), KubernetesTiming kubernetes = {});
  ~EndpointSources();
  EndpointSources(const EndpointSources&) = delete;
  EndpointSources& operator=(const EndpointSources&) = delete;

  void apply(const std::vector<config::EndpointSourceSpec>& specs);
  void stop();

 private:
  struct Slot {
    config::EndpointSourceSpec spec;
    std::string kindName;  // "file", "dns", "kubernetes"
    std::set<std::string> owned;
    // dns, kubernetes: a failure repeated at every retry is logged once.
    std::string lastError;
    std::unique_ptr<FileEndpointSource> file;
    std::shared_ptr<DnsEndpointSource> dns;
    std::unique_ptr<KubernetesEndpointSource> kubernetes;
  };
  void publish(Slot& slot, std::vector<config::EndpointSpec> specs);
  void failed(Slot& slot, const std::string& error);
  void recovered(Slot& slot);
  boost::asio::io_context& sourceLoop();

  datalayer::EndpointStore& store_;
  std::function<void()> onChange_;
  DnsResolver resolver_;
  KubernetesTiming kubernetesTiming_;
  std::mutex mutex_;  // guards slots' `owned` and the store edits
  std::vector<std::unique_ptr<Slot>> slots_;
  // The dns and kubernetes sources' io_context and its one thread, made when the first of
  // them starts.
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread ioThread_;
};

}  // namespace epp::runtime

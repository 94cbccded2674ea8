// File: host/runtime/dns_endpoint_source.h
//
// The `dns` endpoint source: the A and AAAA records of a name (a headless Service), each
// address an endpoint on the configured port, re-resolved every interval. Resolution is
// asynchronous on an io_context shared by every dns source (no thread per name). A failed
// or empty resolution keeps the last set; it is reported to `onError` and counted.
//
// The resolver is injectable: the default asks getaddrinfo through boost::asio (so
// /etc/hosts and the system's DNS), tests pass one backed by their own hosts file.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host/common/result.h"
#include "host/config/picker_config.h"

namespace epp::runtime {

// Resolves `host` to IP literals and calls `done` once, on the io_context's thread or
// inline.
using DnsResolver = std::function<void(
    boost::asio::io_context& io, const std::string& host,
    std::function<void(common::Result<std::vector<std::string>> addresses)> done)>;

// getaddrinfo through boost::asio's resolver, asking for IPv4 and IPv6 whatever the host's
// interfaces (no AI_ADDRCONFIG).
DnsResolver systemDnsResolver();

class DnsEndpointSource : public std::enable_shared_from_this<DnsEndpointSource> {
 public:
  using Publish = std::function<void(std::vector<config::EndpointSpec>)>;
  using OnError = std::function<void(const std::string& error)>;

  static std::shared_ptr<DnsEndpointSource> create(boost::asio::io_context& io,
                                                   config::EndpointSourceSpec spec,
                                                   DnsResolver resolver, Publish publish,
                                                   OnError onError);
  // Resolves now and then every interval.
  void start();
  // No publish or error callback runs once stop returns.
  void stop();

  uint64_t resolutions() const;
  uint64_t failures() const;

  // The endpoints of `addresses` (sorted, duplicates dropped) with the spec's attributes;
  // each is named "<host>/<ip>:<port>".
  static std::vector<config::EndpointSpec> endpointsOf(const config::EndpointSourceSpec& spec,
                                                       std::vector<std::string> addresses);

 private:
  DnsEndpointSource(boost::asio::io_context& io, config::EndpointSourceSpec spec,
                    DnsResolver resolver, Publish publish, OnError onError);
  void resolve();
  void resolved(common::Result<std::vector<std::string>> addresses);
  void schedule();

  boost::asio::io_context& io_;
  config::EndpointSourceSpec spec_;
  DnsResolver resolver_;
  Publish publish_;
  OnError onError_;
  boost::asio::steady_timer timer_;
  // Held while a callback runs, so stop() waits for one in progress.
  mutable std::mutex mutex_;
  bool stopped_ = false;
  bool published_ = false;
  std::vector<std::string> last_;
  uint64_t resolutions_ = 0;
  uint64_t failures_ = 0;
};

}  // namespace epp::runtime

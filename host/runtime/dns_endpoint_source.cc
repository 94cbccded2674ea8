#include "host/runtime/dns_endpoint_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

namespace epp::runtime {

DnsResolver systemDnsResolver() {
  return [](boost::asio::io_context& io, const std::string& host,
            std::function<void(common::Result<std::vector<std::string>>)> done) {
    using boost::asio::ip::tcp;
    auto resolver = std::make_shared<tcp::resolver>(io);
    resolver->async_resolve(
        host, "", tcp::resolver::flags(),
        [resolver, host, done = std::move(done)](const boost::system::error_code& ec,
                                                 const tcp::resolver::results_type& results) {
          if (ec) {
            done(common::Error{fmt::format("resolving {}: {}", host, ec.message())});
            return;
          }
          std::vector<std::string> addresses;
          for (const auto& entry : results) {
            addresses.push_back(entry.endpoint().address().to_string());
          }
          done(std::move(addresses));
        });
  };
}

std::shared_ptr<DnsEndpointSource> DnsEndpointSource::create(boost::asio::io_context& io,
                                                             config::EndpointSourceSpec spec,
                                                             DnsResolver resolver, Publish publish,
                                                             OnError onError) {
  return std::shared_ptr<DnsEndpointSource>(new DnsEndpointSource(
      io, std::move(spec), std::move(resolver), std::move(publish), std::move(onError)));
}

DnsEndpointSource::DnsEndpointSource(boost::asio::io_context& io, config::EndpointSourceSpec spec,
                                     DnsResolver resolver, Publish publish, OnError onError)
    : io_(io),
      spec_(std::move(spec)),
      resolver_(std::move(resolver)),
      publish_(std::move(publish)),
      onError_(std::move(onError)),
      timer_(io) {}

void DnsEndpointSource::start() {
  boost::asio::post(io_, [self = shared_from_this()] { self->resolve(); });
}

void DnsEndpointSource::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  // The timer belongs to the io_context's thread; cancel it there.
  boost::asio::post(io_, [self = shared_from_this()] { self->timer_.cancel(); });
}

void DnsEndpointSource::resolve() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
  }
  resolver_(io_, spec_.host,
            [self = shared_from_this()](common::Result<std::vector<std::string>> addresses) {
              self->resolved(std::move(addresses));
            });
}

void DnsEndpointSource::resolved(common::Result<std::vector<std::string>> addresses) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    ++resolutions_;
    std::string error;
    if (!addresses) {
      error = addresses.error();
    } else if (addresses->empty()) {
      error = fmt::format("resolving {}: no A or AAAA record", spec_.host);
    }
    if (!error.empty()) {
      ++failures_;
      onError_(error);
    } else {
      std::vector<std::string> sorted = std::move(*addresses);
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      if (!published_ || sorted != last_) {
        published_ = true;
        last_ = sorted;
        publish_(endpointsOf(spec_, std::move(sorted)));
      }
    }
  }
  schedule();
}

void DnsEndpointSource::schedule() {
  timer_.expires_after(std::chrono::nanoseconds(spec_.intervalNs));
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->resolve();
  });
}

std::vector<config::EndpointSpec> DnsEndpointSource::endpointsOf(
    const config::EndpointSourceSpec& spec, std::vector<std::string> addresses) {
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  std::vector<config::EndpointSpec> out;
  for (std::string& address : addresses) {
    config::EndpointSpec e = spec.attributes;
    e.address = std::move(address);
    e.port = spec.port;
    bool v6 = e.address.find(':') != std::string::npos;
    e.name = v6 ? fmt::format("{}/[{}]:{}", spec.host, e.address, e.port)
                : fmt::format("{}/{}:{}", spec.host, e.address, e.port);
    e.where = spec.where;
    out.push_back(std::move(e));
  }
  return out;
}

uint64_t DnsEndpointSource::resolutions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return resolutions_;
}

uint64_t DnsEndpointSource::failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_;
}

}  // namespace epp::runtime

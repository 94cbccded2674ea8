#include "host/runtime/static_endpoints.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <tuple>

namespace epp::runtime {
namespace {

auto fields(const config::EndpointSpec& e) {
  return std::tie(e.address, e.port, e.name, e.engine, e.role, e.pool, e.labels, e.scrape);
}

}  // namespace

// Everything the data layer learns, as opposed to what the config says.
void copyLearnt(const datalayer::EndpointState& from, datalayer::EndpointState& to) {
  to.hasMetrics = from.hasMetrics;
  to.waiting = from.waiting;
  to.running = from.running;
  to.kvCacheUsage = from.kvCacheUsage;
  to.activeLoras = from.activeLoras;
  to.waitingLoras = from.waitingLoras;
  to.maxLoras = from.maxLoras;
  to.cacheBlockSize = from.cacheBlockSize;
  to.cacheNumBlocks = from.cacheNumBlocks;
  to.metricsUpdatedNs = from.metricsUpdatedNs;
  to.health = from.health;
  to.stale = from.stale;
  to.manual = from.manual;
  to.engineLabels = from.engineLabels;
  to.consecutiveFailures = from.consecutiveFailures;
  to.scrapeError = from.scrapeError;
  to.scrapeErrorNs = from.scrapeErrorNs;
  to.lastScrapeNs = from.lastScrapeNs;
}

namespace {

bool isIpv4(const std::string& text) {
  in_addr addr{};
  return ::inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

bool isIpv6(const std::string& text) {
  in6_addr addr{};
  return ::inet_pton(AF_INET6, text.c_str(), &addr) == 1;
}

}  // namespace

common::Result<config::EndpointSpec> parseEndpointFlag(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return common::Error{
        fmt::format("--endpoint '{}': {} (expected [NAME=]ADDRESS:PORT)", text, why)};
  };
  config::EndpointSpec e;
  std::string_view rest = text;
  if (size_t eq = rest.find('='); eq != std::string_view::npos) {
    e.name = std::string(rest.substr(0, eq));
    if (e.name.empty()) return fail("the name before '=' is empty");
    rest = rest.substr(eq + 1);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || rest.substr(close + 1, 1) != ":") {
      return fail("an IPv6 address is written [ADDRESS]:PORT");
    }
    e.address = std::string(rest.substr(1, close - 1));
    port = rest.substr(close + 2);
    if (!isIpv6(e.address)) return fail(fmt::format("'{}' is not an IPv6 address", e.address));
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return fail("no port");
    e.address = std::string(rest.substr(0, colon));
    port = rest.substr(colon + 1);
    if (isIpv6(e.address)) return fail("write an IPv6 address in brackets, [ADDRESS]:PORT");
    if (!isIpv4(e.address)) {
      return fail(fmt::format("'{}' is not an IPv4 or IPv6 address; host names are not resolved",
                              e.address));
    }
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 ||
      value > 65535) {
    return fail(fmt::format("port '{}' is not 1-65535", port));
  }
  e.port = value;
  if (e.name.empty()) {
    e.name = isIpv6(e.address) ? fmt::format("[{}]:{}", e.address, e.port)
                               : fmt::format("{}:{}", e.address, e.port);
  }
  return e;
}

common::Status addEndpoints(config::PickerConfig& config,
                            const std::vector<config::EndpointSpec>& extra) {
  for (const config::EndpointSpec& e : extra) {
    for (const config::EndpointSpec& listed : config.endpoints) {
      if (listed.address == e.address && listed.port == e.port) {
        return common::Error{fmt::format("--endpoint {}: {}:{} is already listed as '{}'", e.name,
                                         e.address, e.port, listed.name)};
      }
      if (listed.name == e.name) {
        return common::Error{fmt::format("--endpoint {}: the name '{}' is already used by {}:{}",
                                         e.name, e.name, listed.address, listed.port)};
      }
    }
    config.endpoints.push_back(e);
  }
  return {};
}

datalayer::EndpointState endpointState(const config::EndpointSpec& e, std::string source) {
  datalayer::EndpointState s;
  s.address = e.address;
  s.port = e.port;
  s.name = e.name;
  s.engine = e.engine;
  s.role = e.role;
  s.pool = e.pool;
  s.labels = e.labels;
  s.source = std::move(source);
  s.health = EPP_HEALTH_HEALTHY;
  s.scrape = e.scrape;
  return s;
}

std::vector<datalayer::EndpointState> staticEndpoints(const config::PickerConfig& c) {
  std::vector<datalayer::EndpointState> out;
  for (const auto& e : c.endpoints) out.push_back(endpointState(e, "static"));
  return out;
}

std::vector<datalayer::EndpointState> mergeStaticEndpoints(
    const config::PickerConfig& config, const std::vector<datalayer::EndpointState>& current) {
  std::vector<datalayer::EndpointState> out = staticEndpoints(config);
  for (auto& s : out) {
    std::string hostPort = s.hostPort();
    for (const auto& old : current) {
      if (old.pool == s.pool && old.hostPort() == hostPort) {
        copyLearnt(old, s);
        break;
      }
    }
  }
  // Endpoints of the other sources stay; one a static entry now names is the static one.
  size_t staticCount = out.size();
  for (const auto& old : current) {
    if (old.source == "static") continue;
    bool taken = false;
    for (size_t i = 0; i < staticCount && !taken; ++i) {
      taken = out[i].pool == old.pool && out[i].hostPort() == old.hostPort();
    }
    if (!taken) out.push_back(old);
  }
  return out;
}

bool sameStaticEndpoints(const config::PickerConfig& a, const config::PickerConfig& b) {
  if (a.endpoints.size() != b.endpoints.size()) return false;
  for (size_t i = 0; i < a.endpoints.size(); ++i) {
    if (fields(a.endpoints[i]) != fields(b.endpoints[i])) return false;
  }
  return true;
}

}  // namespace epp::runtime

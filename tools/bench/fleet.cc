#include "tools/bench/fleet.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tools/bench/response_scanner.h"

namespace epp::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

HttpReply httpCall(const HostPort& endpoint, const std::string& method, const std::string& path,
                   std::chrono::milliseconds timeout) {
  HttpReply reply;
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::request<http::empty_body> request(http::string_to_verb(method), path, 11);
  request.set(http::field::host, endpoint.str());
  request.keep_alive(false);
  http::response<http::string_body> response;
  auto fail = [&](const char* step, beast::error_code ec) {
    reply.error = fmt::format("{} {}: {}", step, endpoint.str(), ec.message());
  };
  // Asynchronous operations on a private io_context: the way to get a timeout from Beast.
  stream.expires_after(timeout);
  resolver.async_resolve(
      endpoint.host, std::to_string(endpoint.port),
      [&](beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) return fail("resolve", ec);
        stream.async_connect(results, [&](beast::error_code ec2, const tcp::endpoint&) {
          if (ec2) return fail("connect", ec2);
          http::async_write(stream, request, [&](beast::error_code ec3, size_t) {
            if (ec3) return fail("write", ec3);
            http::async_read(stream, buffer, response, [&](beast::error_code ec4, size_t) {
              if (ec4) return fail("read", ec4);
              reply.status = static_cast<int>(response.result_int());
              reply.body = std::move(response.body());
            });
          });
        });
      });
  io.run();
  return reply;
}

std::vector<std::string> resetFleet(const std::vector<HostPort>& fleet) {
  std::vector<std::string> warnings;
  for (const HostPort& member : fleet) {
    HttpReply reply = httpCall(member, "POST", "/sim/reset");
    if (reply.status == 200 || reply.status == 204 || reply.status == 404) continue;
    warnings.push_back(reply.status == 0
                           ? "reset: " + reply.error
                           : fmt::format("reset {}: HTTP {}", member.str(), reply.status));
  }
  return warnings;
}

std::optional<PrefixCounters> scrapePrefixCounters(const std::vector<HostPort>& fleet,
                                                   std::vector<std::string>& warnings) {
  PrefixCounters total;
  for (const HostPort& member : fleet) {
    HttpReply reply = httpCall(member, "GET", "/metrics");
    if (reply.status != 200) {
      warnings.push_back(reply.status == 0
                             ? "metrics: " + reply.error
                             : fmt::format("metrics {}: HTTP {}", member.str(), reply.status));
      return std::nullopt;
    }
    auto hits = sumSamples(reply.body, "vllm:prefix_cache_hits_total");
    auto queries = sumSamples(reply.body, "vllm:prefix_cache_queries_total");
    if (!hits || !queries) {
      warnings.push_back(fmt::format("metrics {}: no vllm:prefix_cache_hits_total / _queries_total",
                                     member.str()));
      return std::nullopt;
    }
    total.hits += *hits;
    total.queries += *queries;
  }
  return total;
}

}  // namespace epp::bench

// File: tools/sim/http_session.h
//
// One HTTP/1.1 connection of the simulator (Boost.Beast on asio): reads requests one at a
// time and hands each to its host; the host answers with a whole response or a chunked
// stream (SSE). Everything written goes through one byte queue with at most one write
// in flight, so tokens produced faster than the client reads are coalesced into fewer
// writes. All calls happen on the server's io_context thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace epp::sim {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

class HttpSession;

class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual void onRequest(const std::shared_ptr<HttpSession>& session, HttpRequest&& request) = 0;
  // The connection is gone (client closed, error, or abort()); called once.
  virtual void onSessionClosed(HttpSession& session) = 0;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, SessionHost& host);
  void start();

  // A whole response; the next request is read after it.
  void respond(HttpResponse&& response);
  // A chunked response: the header now, data chunks as they come, then the end.
  void startStream(http::status status, std::string_view contentType,
                   std::string_view requestId = {});
  void streamData(std::string_view data);
  void endStream();
  // Closes at once with a TCP reset, as a crashed server's connections end.
  void abort();

  bool open() const { return !closed_; }
  // The completion request this connection waits on (0: none); the host's bookkeeping.
  uint64_t activeRequest = 0;

 private:
  void readNext();
  void queue(std::string bytes);
  void flush();
  void close(bool reset = false);

  boost::asio::ip::tcp::socket socket_;
  SessionHost& host_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string pending_;  // bytes waiting for the write in flight to finish
  std::string writing_;  // bytes of the write in flight
  bool writeInFlight_ = false;
  bool keepAlive_ = true;
  bool closeAfterWrite_ = false;
  bool closed_ = false;
};

}  // namespace epp::sim

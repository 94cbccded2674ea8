// File: tools/bench/upstream.h
//
// The model-server side of eppd-bench: an asynchronous HTTP/1.1 client (Boost.Beast) with
// a keep-alive connection pool per endpoint. A response body is handed over chunk by chunk
// as it arrives, so SSE streams through without buffering. A request that fails on a
// pooled connection before any response byte (the server closed it while idle) is retried
// once on a fresh connection.
//
// Single-threaded: every call and callback runs on the io_context's one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tools/bench/targets.h"

namespace epp::bench {

struct UpstreamHandlers {
  std::function<void(int status, const std::string& contentType)> onHeaders;
  std::function<void(std::string chunk)> onBody;
  // Empty on success; otherwise what failed ("connect: Connection refused").
  std::function<void(const std::string& error)> onDone;
};

class UpstreamExchange;

class UpstreamPool {
 public:
  explicit UpstreamPool(boost::asio::io_context& io, std::chrono::nanoseconds ioTimeout);
  ~UpstreamPool();

  // POSTs `body` (JSON) to http://endpoint/path. Returns a handle whose cancel() stops the
  // exchange (onDone then reports "cancelled").
  std::shared_ptr<UpstreamExchange> post(const HostPort& endpoint, const std::string& path,
                                         std::string body, const std::string& requestId,
                                         UpstreamHandlers handlers);

  size_t connectionsOpened() const { return opened_; }

 private:
  friend class UpstreamExchange;
  std::unique_ptr<boost::beast::tcp_stream> takeIdle(const std::string& key);
  void putIdle(const std::string& key, std::unique_ptr<boost::beast::tcp_stream> stream);

  boost::asio::io_context& io_;
  std::chrono::nanoseconds ioTimeout_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<boost::beast::tcp_stream>>> idle_;
  size_t opened_ = 0;
};

class UpstreamExchange : public std::enable_shared_from_this<UpstreamExchange> {
 public:
  struct State;
  UpstreamExchange(UpstreamPool& pool, std::unique_ptr<State> state);
  ~UpstreamExchange();
  void start();
  void cancel();

 private:
  void connect();
  void write();
  void readHeader();
  void readBody();
  void finish(const std::string& error);
  // A failure before any response byte on a pooled connection is retried once.
  void retryOrFail(const std::string& what);

  UpstreamPool& pool_;
  std::unique_ptr<State> state_;
};

}  // namespace epp::bench

// File: tests/support/metrics_http_server.h
//
// A real HTTP/1.1 server on 127.0.0.1 (port 0 picks a free port) that plays a model
// server's /metrics and /health for scraper tests: each path answers what the test set
// last (status, body, content type), optionally after a delay or closing the connection;
// it counts requests and accepted connections (to see keep-alive at work). Given a
// certificate and key it speaks HTTPS instead. Boost.Beast, blocking, one thread per
// connection: test traffic only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace epp::testing {

class MetricsHttpServer {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    std::string contentType = "text/plain; version=0.0.4; charset=utf-8";
    std::chrono::milliseconds delay{0};
    bool close = false;  // close the connection after answering
  };

  // HTTPS with this certificate chain and key when both are given.
  explicit MetricsHttpServer(const std::filesystem::path& certFile = {},
                             const std::filesystem::path& keyFile = {})
      : acceptor_(io_) {
    namespace asio = boost::asio;
    if (!certFile.empty()) {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(certFile.string());
      tls_->use_private_key_file(keyFile.string(), asio::ssl::context::pem);
    }
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    set("/health", {200, "", "text/plain"});
    acceptThread_ = std::thread([this] { acceptLoop(); });
  }
  ~MetricsHttpServer() { stop(); }
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }
  std::string hostPort() const { return "127.0.0.1:" + std::to_string(port_); }

  void set(const std::string& path, Reply reply) {
    std::lock_guard lock(mutex_);
    replies_[path] = std::move(reply);
  }
  void setMetrics(std::string body) {
    Reply r;
    r.body = std::move(body);
    set("/metrics", std::move(r));
  }
  int hits(const std::string& path) const {
    std::lock_guard lock(mutex_);
    auto it = hits_.find(path);
    return it == hits_.end() ? 0 : it->second;
  }
  int connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }
  // HTTPS only: connections whose TLS handshake failed.
  int failedHandshakes() const {
    std::lock_guard lock(mutex_);
    return failedHandshakes_;
  }

  // Closes the listener and every connection (a model server that died).
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      for (auto& s : sockets_) {
        boost::system::error_code ignored;
        s->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      }
    }
    wake_.notify_all();
    // Wakes the blocking accept.
    try {
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket poke(io);
      poke.connect(
          {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
    } catch (const std::exception&) {
    }
    if (acceptThread_.joinable()) acceptThread_.join();
    for (auto& t : connectionThreads_) t.join();
    connectionThreads_.clear();
  }

 private:
  using Socket = boost::asio::ip::tcp::socket;

  void acceptLoop() {
    for (;;) {
      auto socket = std::make_shared<Socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      std::lock_guard lock(mutex_);
      if (stopping_ || ec) {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        return;
      }
      ++connections_;
      sockets_.push_back(socket);
      connectionThreads_.emplace_back([this, socket] { serve(socket); });
    }
  }

  void serve(std::shared_ptr<Socket> socket) {
    if (!tls_) {
      serveOn(*socket);
    } else {
      boost::asio::ssl::stream<Socket&> stream(*socket, *tls_);
      boost::system::error_code ec;
      stream.handshake(boost::asio::ssl::stream_base::server, ec);
      if (ec) {
        std::lock_guard lock(mutex_);
        ++failedHandshakes_;
      } else {
        serveOn(stream);
      }
    }
    std::lock_guard lock(mutex_);  // stop() shuts sockets down too; never at the same time
    boost::system::error_code ignored;
    socket->shutdown(Socket::shutdown_both, ignored);
  }

  template <class Stream>
  void serveOn(Stream& stream) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(stream, buffer, req, ec);
      if (ec) break;
      std::string path(req.target());
      Reply reply;
      {
        std::unique_lock lock(mutex_);
        ++hits_[path];
        auto it = replies_.find(path);
        reply = it == replies_.end() ? Reply{404, "not found", "text/plain"} : it->second;
        if (reply.delay.count() > 0) {
          wake_.wait_for(lock, reply.delay, [this] { return stopping_; });
          if (stopping_) break;
        }
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      res.set(http::field::content_type, reply.contentType);
      res.body() = reply.body;
      res.keep_alive(!reply.close && req.keep_alive());
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || reply.close) break;
    }
  }

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Reply> replies_;
  std::map<std::string, int> hits_;
  int connections_ = 0;
  int failedHandshakes_ = 0;
  bool stopping_ = false;
  std::vector<std::shared_ptr<Socket>> sockets_;
  std::thread acceptThread_;
  std::vector<std::thread> connectionThreads_;
};

}  // namespace epp::testing

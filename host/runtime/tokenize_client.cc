#include "host/runtime/tokenize_client.h"

// GCC 12 sees Asio's coroutine frames allocated by its recycling allocator (::operator new)
// and released by the frame's sized operator delete, which frees through the same
// allocator, and reports a mismatch that is not one (-Wmismatched-new-delete).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>
#include <simdjson.h>

#include <pthread.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

namespace epp::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxIdlePerServer = 8;
constexpr uint64_t kMaxResponseBytes = 64 << 20;  // 16M ids as JSON text

// Beast reports an expired stream as error::timeout, but an operation the expiry cut short
// inside a composed read can also end as operation_aborted: past the deadline, both are the
// deadline's doing.
bool pastDeadline(const boost::system::error_code& ec,
                  std::chrono::steady_clock::time_point deadline) {
  return ec == beast::error::timeout || std::chrono::steady_clock::now() >= deadline;
}

}  // namespace

std::string tokenizeBody(std::string_view model, std::string_view promptJson, bool chat) {
  std::string out = R"({"model":)";
  out += nlohmann::json(std::string(model)).dump();
  out += chat ? R"(,"messages":)" : R"(,"prompt":)";
  out += promptJson;
  // The generation prompt is part of what the engine caches for a chat request.
  out += chat ? R"(,"add_generation_prompt":true})" : "}";
  return out;
}

common::Result<std::vector<uint32_t>> parseTokenizeResponse(std::string_view body) {
  simdjson::padded_string padded(body);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(padded).get(doc)) {
    return common::Error{std::string("not JSON: ") + simdjson::error_message(e)};
  }
  simdjson::dom::array tokens;
  if (doc["tokens"].get_array().get(tokens) != simdjson::SUCCESS) {
    return common::Error{"no \"tokens\" array"};
  }
  std::vector<uint32_t> ids;
  ids.reserve(tokens.size());
  for (simdjson::dom::element t : tokens) {
    uint64_t id = 0;
    if (t.get_uint64().get(id) != simdjson::SUCCESS || id > std::numeric_limits<uint32_t>::max()) {
      return common::Error{"a token id is not an unsigned 32-bit integer"};
    }
    ids.push_back(static_cast<uint32_t>(id));
  }
  return ids;
}

struct TokenizeClient::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::vector<std::thread> threads;
  std::mutex idleMutex;
  // Kept-alive connections by "host:port", most recently used last.
  std::unordered_map<std::string, std::vector<std::unique_ptr<beast::tcp_stream>>> idle;

  std::unique_ptr<beast::tcp_stream> takeIdle(const std::string& key) {
    std::lock_guard<std::mutex> lock(idleMutex);
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto s = std::move(it->second.back());
    it->second.pop_back();
    return s;
  }
  void putIdle(const std::string& key, std::unique_ptr<beast::tcp_stream> s) {
    std::lock_guard<std::mutex> lock(idleMutex);
    auto& list = idle[key];
    if (list.size() < kMaxIdlePerServer) list.push_back(std::move(s));
  }

  asio::awaitable<void> run(TokenizeCall call, TokenizeDone done) {
    TokenizeResult out;
    const std::string key = fmt::format("{}:{}", call.host, call.port);
    boost::system::error_code addrError;
    tcp::endpoint peer(asio::ip::make_address(call.host, addrError), call.port);
    if (addrError) {
      out.errorKind = "connect";
      out.error = fmt::format("{} is not an IP address", call.host);
      done(std::move(out));
      co_return;
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::nanoseconds(call.timeoutNs);
    for (int attempt = 0; attempt < 2; ++attempt) {
      out = TokenizeResult{};
      beast::error_code ec;
      auto token = asio::redirect_error(asio::use_awaitable, ec);
      std::unique_ptr<beast::tcp_stream> stream = takeIdle(key);
      const bool reused = stream != nullptr;
      if (!stream) stream = std::make_unique<beast::tcp_stream>(io);
      stream->expires_at(deadline);
      if (!reused) {
        co_await stream->async_connect(peer, token);
        if (ec) {
          out.errorKind = pastDeadline(ec, deadline) ? "timeout" : "connect";
          out.error = fmt::format("connect to {}: {}", key, ec.message());
          break;
        }
        // A request is one write and the answer one read: nothing to gain from Nagle, and
        // with the server's delayed ACK it would cost a 40 ms stall on large prompts.
        stream->socket().set_option(tcp::no_delay(true), ec);
      }
      http::request<http::string_body> req{http::verb::post, call.path, 11};
      req.set(http::field::host, key);
      req.set(http::field::user_agent, "eppd");
      req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = call.body;
      req.prepare_payload();
      co_await http::async_write(*stream, req, token);
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(kMaxResponseBytes);
      if (!ec) co_await http::async_read(*stream, buffer, parser, token);
      if (ec) {
        bool serverClosed = ec == http::error::end_of_stream || ec == asio::error::eof ||
                            ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
        if (reused && serverClosed) continue;  // a kept-alive connection the server closed
        out.errorKind = pastDeadline(ec, deadline) ? "timeout" : "connect";
        out.error = fmt::format("POST {}{}: {}", key, call.path, ec.message());
        break;
      }
      auto& res = parser.get();
      if (res.result() != http::status::ok) {
        out.errorKind = "status";
        out.error = fmt::format("POST {}{}: HTTP {}: {:.200}", key, call.path, res.result_int(),
                                res.body());
      } else if (auto ids = parseTokenizeResponse(res.body()); !ids) {
        out.errorKind = "body";
        out.error = fmt::format("POST {}{}: {}", key, call.path, ids.error());
      } else {
        out.ids = std::move(*ids);
      }
      if (res.keep_alive()) {
        stream->expires_never();
        putIdle(key, std::move(stream));
      }
      break;
    }
    done(std::move(out));
  }
};

TokenizeClient::TokenizeClient(int threads) : impl_(std::make_unique<Impl>()) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    impl_->threads.emplace_back([io = &impl_->io] {
      pthread_setname_np(pthread_self(), "eppd-tokenize");
      io->run();
    });
  }
}

TokenizeClient::~TokenizeClient() {
  // Calls in flight finish (each within its timeout) and end as they would; idle
  // connections hold no pending operation, so the threads return.
  impl_->work.reset();
  for (auto& t : impl_->threads) t.join();
}

void TokenizeClient::tokenize(TokenizeCall call, TokenizeDone done) {
  asio::co_spawn(impl_->io, impl_->run(std::move(call), std::move(done)), asio::detached);
}

}  // namespace epp::runtime

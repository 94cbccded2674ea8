#include "tools/bench/upstream.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>

namespace epp::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

struct UpstreamExchange::State {
  HostPort endpoint;
  std::string key;
  http::request<http::string_body> request;
  UpstreamHandlers handlers;
  std::unique_ptr<beast::tcp_stream> stream;
  tcp::resolver resolver;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
  char chunk[16 * 1024];
  bool reused = false;
  bool responded = false;  // a response byte arrived: no retry any more
  bool done = false;
  bool cancelled = false;

  explicit State(asio::io_context& io) : resolver(io) {}
};

UpstreamPool::UpstreamPool(asio::io_context& io, std::chrono::nanoseconds ioTimeout)
    : io_(io), ioTimeout_(ioTimeout) {}

UpstreamPool::~UpstreamPool() = default;

std::unique_ptr<beast::tcp_stream> UpstreamPool::takeIdle(const std::string& key) {
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  std::unique_ptr<beast::tcp_stream> stream = std::move(it->second.back());
  it->second.pop_back();
  return stream;
}

void UpstreamPool::putIdle(const std::string& key, std::unique_ptr<beast::tcp_stream> stream) {
  stream->expires_never();
  idle_[key].push_back(std::move(stream));
}

std::shared_ptr<UpstreamExchange> UpstreamPool::post(const HostPort& endpoint,
                                                     const std::string& path, std::string body,
                                                     const std::string& requestId,
                                                     UpstreamHandlers handlers) {
  auto state = std::make_unique<UpstreamExchange::State>(io_);
  state->endpoint = endpoint;
  state->key = endpoint.str();
  state->request = http::request<http::string_body>(http::verb::post, path, 11);
  state->request.set(http::field::host, state->key);
  state->request.set(http::field::content_type, "application/json");
  state->request.set(http::field::accept, "text/event-stream, application/json");
  state->request.set("x-request-id", requestId);
  state->request.keep_alive(true);
  state->request.body() = std::move(body);
  state->request.prepare_payload();
  state->handlers = std::move(handlers);
  auto exchange = std::make_shared<UpstreamExchange>(*this, std::move(state));
  exchange->start();
  return exchange;
}

UpstreamExchange::UpstreamExchange(UpstreamPool& pool, std::unique_ptr<State> state)
    : pool_(pool), state_(std::move(state)) {}

UpstreamExchange::~UpstreamExchange() = default;

void UpstreamExchange::start() {
  state_->stream = pool_.takeIdle(state_->key);
  state_->reused = state_->stream != nullptr;
  if (state_->stream) {
    write();
  } else {
    connect();
  }
}

void UpstreamExchange::cancel() {
  if (state_->done) return;
  state_->cancelled = true;
  state_->resolver.cancel();
  if (state_->stream) state_->stream->close();
}

void UpstreamExchange::connect() {
  State& s = *state_;
  s.resolver.async_resolve(
      s.endpoint.host, std::to_string(s.endpoint.port),
      [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
        State& st = *self->state_;
        if (ec) return self->finish("connect: " + ec.message());
        st.stream = std::make_unique<beast::tcp_stream>(self->pool_.io_);
        ++self->pool_.opened_;
        st.stream->expires_after(self->pool_.ioTimeout_);
        st.stream->async_connect(results, [self](beast::error_code ec2, const tcp::endpoint&) {
          if (ec2) return self->finish("connect: " + ec2.message());
          beast::error_code ignored;
          self->state_->stream->socket().set_option(tcp::no_delay(true), ignored);
          self->write();
        });
      });
}

void UpstreamExchange::write() {
  State& s = *state_;
  if (s.cancelled) return finish("cancelled");
  s.parser.emplace();
  s.parser->body_limit(std::numeric_limits<std::uint64_t>::max());
  s.buffer.clear();
  s.stream->expires_after(pool_.ioTimeout_);
  http::async_write(*s.stream, s.request,
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) return self->retryOrFail("write: " + ec.message());
                      self->readHeader();
                    });
}

void UpstreamExchange::readHeader() {
  State& s = *state_;
  http::async_read_header(*s.stream, s.buffer, *s.parser,
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            State& st = *self->state_;
                            if (ec) return self->retryOrFail("read: " + ec.message());
                            st.responded = true;
                            const auto& response = st.parser->get();
                            st.handlers.onHeaders(static_cast<int>(response.result_int()),
                                                  std::string(response[http::field::content_type]));
                            self->readBody();
                          });
}

void UpstreamExchange::readBody() {
  State& s = *state_;
  if (s.cancelled) return finish("cancelled");
  if (s.parser->is_done()) return finish("");
  s.parser->get().body().data = s.chunk;
  s.parser->get().body().size = sizeof s.chunk;
  s.stream->expires_after(pool_.ioTimeout_);
  http::async_read_some(*s.stream, s.buffer, *s.parser,
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          State& st = *self->state_;
                          if (ec == http::error::need_buffer) ec = {};
                          if (ec) return self->finish("read: " + ec.message());
                          const size_t got = sizeof st.chunk - st.parser->get().body().size;
                          if (got > 0) st.handlers.onBody(std::string(st.chunk, got));
                          self->readBody();
                        });
}

void UpstreamExchange::retryOrFail(const std::string& what) {
  State& s = *state_;
  if (s.reused && !s.responded && !s.cancelled) {
    s.reused = false;
    s.stream.reset();
    return connect();
  }
  finish(what);
}

void UpstreamExchange::finish(const std::string& error) {
  State& s = *state_;
  if (s.done) return;
  s.done = true;
  if (s.cancelled && error.empty()) return s.handlers.onDone("cancelled");
  if (error.empty() && s.stream && s.parser && s.parser->get().keep_alive()) {
    pool_.putIdle(s.key, std::move(s.stream));
  } else if (s.stream) {
    beast::error_code ignored;
    s.stream->socket().close(ignored);
  }
  s.handlers.onDone(s.cancelled ? std::string("cancelled") : error);
}

}  // namespace epp::bench

#include "tools/sim/http_session.h"

#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <sstream>

namespace epp::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {
// Prompts of 100k tokens are ~400 KB; leave room for batch bodies.
constexpr uint64_t kBodyLimit = 64ull << 20;
}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket, SessionHost& host)
    : socket_(std::move(socket)), host_(host) {
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

void HttpSession::start() { readNext(); }

void HttpSession::readNext() {
  if (closed_) return;
  parser_.emplace();
  parser_->body_limit(kBodyLimit);
  http::async_read(
      socket_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (self->closed_) return;
        if (ec) {
          // A malformed request gets a 400 before the connection closes.
          if (ec != http::error::end_of_stream && ec != asio::error::eof &&
              ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
            HttpResponse bad{http::status::bad_request, 11};
            bad.set(http::field::content_type, "application/json");
            bad.body() = R"({"error":{"message":"malformed HTTP request: )" + ec.message() +
                         R"(","type":"BadRequestError","code":400}})";
            bad.keep_alive(false);
            self->respond(std::move(bad));
            return;
          }
          self->close();
          return;
        }
        HttpRequest request = self->parser_->release();
        self->keepAlive_ = request.keep_alive();
        self->host_.onRequest(self, std::move(request));
      });
}

void HttpSession::respond(HttpResponse&& response) {
  if (closed_) return;
  response.version(11);
  response.keep_alive(keepAlive_ && response.keep_alive());
  response.prepare_payload();
  const bool keep = response.keep_alive();
  std::ostringstream os;
  os << response;
  queue(std::move(os).str());
  if (keep) {
    readNext();
  } else {
    closeAfterWrite_ = true;
  }
}

void HttpSession::startStream(http::status status, std::string_view contentType,
                              std::string_view requestId) {
  if (closed_) return;
  http::response<http::empty_body> header{status, 11};
  header.set(http::field::content_type, beast::string_view(contentType.data(), contentType.size()));
  header.set(http::field::cache_control, "no-cache");
  if (!requestId.empty()) {
    header.set("x-request-id", beast::string_view(requestId.data(), requestId.size()));
  }
  header.keep_alive(keepAlive_);
  header.chunked(true);
  std::ostringstream os;
  os << header.base();
  queue(std::move(os).str());
}

void HttpSession::streamData(std::string_view data) {
  if (closed_ || data.empty()) return;
  queue(beast::buffers_to_string(http::make_chunk(asio::const_buffer(data.data(), data.size()))));
}

void HttpSession::endStream() {
  if (closed_) return;
  queue(beast::buffers_to_string(http::make_chunk_last()));
  if (keepAlive_) {
    readNext();
  } else {
    closeAfterWrite_ = true;
  }
}

void HttpSession::queue(std::string bytes) {
  if (pending_.empty()) {
    pending_ = std::move(bytes);
  } else {
    pending_ += bytes;
  }
  flush();
}

void HttpSession::flush() {
  if (writeInFlight_ || closed_) return;
  if (pending_.empty()) {
    if (closeAfterWrite_) close();
    return;
  }
  writing_.swap(pending_);
  pending_.clear();
  writeInFlight_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writeInFlight_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->writing_.clear();
                      self->flush();
                    });
}

void HttpSession::abort() {
  if (closed_) return;
  boost::system::error_code ignored;
  socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  close(true);
}

void HttpSession::close(bool reset) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  if (!reset) socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  socket_.close(ignored);
  host_.onSessionClosed(*this);
}

}  // namespace epp::sim

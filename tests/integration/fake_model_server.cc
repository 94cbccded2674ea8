#include "tests/integration/fake_model_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace epp::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string promptOf(const nlohmann::json& body) {
  if (body.contains("prompt")) return body["prompt"].get<std::string>();
  std::string out;
  for (const auto& m : body.value("messages", nlohmann::json::array())) {
    if (!out.empty()) out += '\n';
    out += m.value("content", "");
  }
  return out;
}

}  // namespace

FakeModelServer::FakeModelServer(std::chrono::microseconds tokenDelay) : tokenDelay_(tokenDelay) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listenFd_, 128);
  socklen_t len = sizeof addr;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

FakeModelServer::~FakeModelServer() {
  stopping_ = true;
  ::shutdown(listenFd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listenFd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

void FakeModelServer::acceptLoop() {
  while (!stopping_) {
    int fd = ::accept(listenFd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    ++connections_;
    std::lock_guard lock(mutex_);
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

uint64_t FakeModelServer::lookupPrefix(const std::string& prompt) {
  constexpr size_t kBlockChars = 64;
  std::lock_guard lock(mutex_);
  uint64_t hash = 0;
  uint64_t cached = 0;
  bool matching = true;
  for (size_t at = 0; at + kBlockChars <= prompt.size(); at += kBlockChars) {
    hash = std::hash<std::string_view>()(std::string_view(prompt).substr(at, kBlockChars)) ^
           (hash * 1099511628211ULL);
    queries_ += 16;
    if (matching && blocks_.count(hash) > 0) {
      hits_ += 16;
      cached += 16;
    } else {
      matching = false;
    }
    blocks_.insert(hash);
  }
  return cached;
}

void FakeModelServer::serve(int fd) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io, asio::ip::tcp::v4(), fd);
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (!stopping_) {
    http::request<http::string_body> request;
    http::read(socket, buffer, request, ec);
    if (ec) break;
    const std::string target(request.target());
    if (request.method() == http::verb::get && target == "/metrics") {
      http::response<http::string_body> response(http::status::ok, 11);
      {
        std::lock_guard lock(mutex_);
        response.body() =
            "# TYPE vllm:prefix_cache_queries_total counter\n"
            "vllm:prefix_cache_queries_total{model_name=\"sim-model\"} " +
            std::to_string(queries_) +
            "\n# TYPE vllm:prefix_cache_hits_total counter\n"
            "vllm:prefix_cache_hits_total{model_name=\"sim-model\"} " +
            std::to_string(hits_) + "\n";
      }
      response.set(http::field::content_type, "text/plain; version=0.0.4");
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      http::write(socket, response, ec);
    } else if (request.method() == http::verb::post &&
               (target == "/v1/chat/completions" || target == "/v1/completions")) {
      nlohmann::json body = nlohmann::json::parse(request.body(), nullptr, false);
      const bool chat = target == "/v1/chat/completions";
      const int tokens = body.is_object() ? body.value("max_tokens", 4) : 4;
      const std::string prompt = body.is_object() ? promptOf(body) : "";
      const uint64_t cached = lookupPrefix(prompt);
      ++completions_;
      nlohmann::json usage = {{"prompt_tokens", prompt.size() / 4},
                              {"completion_tokens", tokens},
                              {"total_tokens", prompt.size() / 4 + tokens},
                              {"prompt_tokens_details", {{"cached_tokens", cached}}}};
      auto event = [&](const std::string& text) {
        nlohmann::json choice = chat ? nlohmann::json{{"index", 0}, {"delta", {{"content", text}}}}
                                     : nlohmann::json{{"index", 0}, {"text", text}};
        return "data: " + nlohmann::json{{"object", "chunk"}, {"choices", {choice}}}.dump() +
               "\n\n";
      };
      if (body.is_object() && body.value("stream", false)) {
        http::response<http::empty_body> head(http::status::ok, 11);
        head.set(http::field::content_type, "text/event-stream");
        head.chunked(true);
        head.keep_alive(request.keep_alive());
        http::response_serializer<http::empty_body> serializer(head);
        http::write_header(socket, serializer, ec);
        for (int i = 0; i < tokens && !ec; ++i) {
          std::this_thread::sleep_for(tokenDelay_);
          std::string data = event("tok" + std::to_string(i) + " ");
          asio::write(socket, http::make_chunk(asio::buffer(data)), ec);
        }
        std::string tail =
            "data: " +
            nlohmann::json{{"choices", nlohmann::json::array()}, {"usage", usage}}.dump() +
            "\n\ndata: [DONE]\n\n";
        if (!ec) asio::write(socket, http::make_chunk(asio::buffer(tail)), ec);
        if (!ec) asio::write(socket, http::make_chunk_last(), ec);
      } else {
        std::string text;
        for (int i = 0; i < tokens; ++i) text += "tok" + std::to_string(i) + " ";
        nlohmann::json choice =
            chat ? nlohmann::json{{"index", 0},
                                  {"message", {{"role", "assistant"}, {"content", text}}}}
                 : nlohmann::json{{"index", 0}, {"text", text}};
        http::response<http::string_body> response(http::status::ok, 11);
        response.set(http::field::content_type, "application/json");
        response.body() = nlohmann::json{{"choices", {choice}}, {"usage", usage}}.dump();
        response.keep_alive(request.keep_alive());
        response.prepare_payload();
        http::write(socket, response, ec);
      }
    } else {
      http::response<http::string_body> response(http::status::not_found, 11);
      response.body() = "not found\n";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      http::write(socket, response, ec);
    }
    if (ec || !request.keep_alive()) break;
  }
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  // Forgotten before it closes, so the destructor never shuts down a reused descriptor.
  std::lock_guard lock(mutex_);
  fds_.erase(std::find(fds_.begin(), fds_.end(), fd));
  socket.close(ec);
}

}  // namespace epp::testing

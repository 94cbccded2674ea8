#include "tests/support/fake_kube_api_server.h"

#include <fmt/format.h>
#include <poll.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace epp::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;

std::string decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      out[decode(item)] = "";
    } else {
      out[decode(item.substr(0, eq))] = decode(item.substr(eq + 1));
    }
  }
  return out;
}

json status(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason},
          {"code", code}};
}

// True once the client closed its side (its FIN is readable without reading anything).
bool peerClosed(tcp::socket& socket) {
  pollfd p{socket.native_handle(), POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

std::string chunk(const std::string& data) {
  return fmt::format("{:x}\r\n{}\r\n", data.size(), data);
}

}  // namespace

struct FakeKubeApiServer::Net {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<ssl::context> tls;
};

struct FakeKubeApiServer::Connection {
  explicit Connection(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  beast::flat_buffer buffer;

  template <class F>
  void with(F f) {
    if (tls) {
      f(*tls);
    } else {
      f(socket);
    }
  }
  bool writeRaw(const std::string& text) {
    boost::system::error_code ec;
    with([&](auto& s) { asio::write(s, asio::buffer(text), ec); });
    return !ec;
  }
  void respond(int code, const json& body, bool keepAlive) {
    http::response<http::string_body> res{static_cast<http::status>(code), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = body.dump();
    res.keep_alive(keepAlive);
    res.prepare_payload();
    boost::system::error_code ec;
    with([&](auto& s) { http::write(s, res, ec); });
  }
};

FakeKubeApiServer::FakeKubeApiServer(Options options)
    : options_(std::move(options)), net_(std::make_unique<Net>()) {
  if (options_.endpointSlices) {
    collection_ = "/apis/discovery.k8s.io/v1/namespaces/" + options_.ns + "/endpointslices";
    listKind_ = "EndpointSliceList";
  } else {
    collection_ = "/api/v1/namespaces/" + options_.ns + "/pods";
    listKind_ = "PodList";
  }
  if (!options_.certFile.empty()) {
    net_->tls.emplace(ssl::context::tls_server);
    net_->tls->use_certificate_chain_file(options_.certFile.string());
    net_->tls->use_private_key_file(options_.keyFile.string(), ssl::context::pem);
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  net_->acceptor.open(ep.protocol());
  net_->acceptor.set_option(asio::socket_base::reuse_address(true));
  net_->acceptor.bind(ep);
  net_->acceptor.listen();
  port_ = net_->acceptor.local_endpoint().port();
  acceptThread_ = std::thread([this] { acceptLoop(); });
}

FakeKubeApiServer::~FakeKubeApiServer() { stop(); }

std::string FakeKubeApiServer::url() const {
  return fmt::format("{}://127.0.0.1:{}", options_.certFile.empty() ? "http" : "https", port_);
}

void FakeKubeApiServer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& c : connections_) {
      boost::system::error_code ignored;
      c->socket.shutdown(tcp::socket::shutdown_both, ignored);
    }
  }
  changed_.notify_all();
  try {
    asio::io_context io;
    tcp::socket poke(io);
    poke.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
  } catch (const std::exception&) {
  }
  if (acceptThread_.joinable()) acceptThread_.join();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void FakeKubeApiServer::acceptLoop() {
  for (;;) {
    auto c = std::make_shared<Connection>(net_->io);
    boost::system::error_code ec;
    net_->acceptor.accept(c->socket, ec);
    std::lock_guard lock(mutex_);
    if (stopping_ || ec) {
      boost::system::error_code ignored;
      net_->acceptor.close(ignored);
      return;
    }
    if (net_->tls) c->tls = std::make_unique<ssl::stream<tcp::socket&>>(c->socket, *net_->tls);
    connections_.push_back(c);
    threads_.emplace_back([this, c] { serve(c); });
  }
}

void FakeKubeApiServer::serve(std::shared_ptr<Connection> c) {
  boost::system::error_code ec;
  if (c->tls) c->tls->handshake(ssl::stream_base::server, ec);
  while (!ec) {
    http::request<http::string_body> req;
    c->with([&](auto& s) { http::read(s, c->buffer, req, ec); });
    if (ec) break;
    std::string authorization(req[http::field::authorization]);
    if (!handle(*c, std::string(req.target()), authorization, req.keep_alive())) break;
  }
  std::lock_guard lock(mutex_);  // stop() shuts sockets down too; never at the same time
  boost::system::error_code ignored;
  c->socket.shutdown(tcp::socket::shutdown_both, ignored);
  c->socket.close(ignored);
}

bool FakeKubeApiServer::handle(Connection& c, const std::string& target,
                               const std::string& authorization, bool keepAlive) {
  Request r;
  r.target = target;
  r.authorization = authorization;
  size_t q = target.find('?');
  std::string path = target.substr(0, q);
  if (q != std::string::npos) r.query = parseQuery(std::string_view(target).substr(q + 1));
  r.watch = r.query["watch"] == "1" || r.query["watch"] == "true";
  std::string token;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(r);
    token = options_.token;
  }
  changed_.notify_all();
  // No token configured: a `kubectl proxy`, which authenticates for its clients.
  if (!token.empty() && authorization != "Bearer " + token) {
    c.respond(401, status(401, "Unauthorized", "Unauthorized"), keepAlive);
    return keepAlive;
  }
  if (path != collection_) {
    c.respond(404, status(404, "NotFound", "the server could not find the requested resource"),
              keepAlive);
    return keepAlive;
  }
  if (r.watch) {
    watch(c, r);
    return false;
  }
  list(c, r, keepAlive);
  return keepAlive;
}

bool FakeKubeApiServer::matches(const json& object, const std::string& selector) const {
  const json& labels =
      object["metadata"].contains("labels") ? object["metadata"]["labels"] : json::object();
  std::string_view rest = selector;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view term = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t eq = term.find('=');
    std::string key(term.substr(0, eq));
    std::string value(eq == std::string_view::npos ? "" : term.substr(eq + 1));
    if (!labels.contains(key) || labels[key] != value) return false;
  }
  return true;
}

void FakeKubeApiServer::list(Connection& c, const Request& r, bool keepAlive) {
  json page;
  {
    std::lock_guard lock(mutex_);
    std::string selector = r.query.count("labelSelector") ? r.query.at("labelSelector") : "";
    std::vector<json> items;
    for (const auto& [name, object] : objects_) {
      if (matches(object, selector)) items.push_back(object);
    }
    size_t offset = r.query.count("continue") ? std::stoul(r.query.at("continue")) : 0;
    size_t limit = items.size();
    if (r.query.count("limit")) limit = std::min<size_t>(limit, std::stoul(r.query.at("limit")));
    if (pageSize_ > 0) limit = std::min<size_t>(limit, static_cast<size_t>(pageSize_));
    json meta = {{"resourceVersion", std::to_string(rv_)}};
    if (offset + limit < items.size()) meta["continue"] = std::to_string(offset + limit);
    json chosen = json::array();
    for (size_t i = offset; i < std::min(items.size(), offset + limit); ++i) {
      chosen.push_back(items[i]);
    }
    page = {{"kind", listKind_},
            {"apiVersion", options_.endpointSlices ? "discovery.k8s.io/v1" : "v1"},
            {"metadata", meta},
            {"items", chosen}};
  }
  c.respond(200, page, keepAlive);
}

void FakeKubeApiServer::watch(Connection& c, const Request& r) {
  auto query = [&](const char* key) {
    auto it = r.query.find(key);
    return it == r.query.end() ? std::string() : it->second;
  };
  std::string selector = query("labelSelector");
  bool bookmarks = query("allowWatchBookmarks") == "true";
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::seconds(
                      query("timeoutSeconds").empty() ? 3600 : std::stoi(query("timeoutSeconds")));
  std::unique_lock lock(mutex_);
  uint64_t from = query("resourceVersion").empty() ? rv_ : std::stoull(query("resourceVersion"));
  if (from < compactedBelow_) {
    std::string message = fmt::format("too old resource version: {} ({})", from, compactedBelow_);
    GoneAs how = goneAs_;
    lock.unlock();
    if (how == GoneAs::kHttpStatus) {
      c.respond(410, status(410, "Expired", message), false);
    } else {
      json event = {{"type", "ERROR"}, {"object", status(410, "Expired", message)}};
      c.writeRaw(
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
          "Transfer-Encoding: chunked\r\n\r\n" +
          chunk(event.dump() + "\n") + "0\r\n\r\n");
    }
    return;
  }
  ++openWatches_;
  uint64_t generation = dropGeneration_;
  size_t next = 0;
  while (next < history_.size() && history_[next].rv <= from) ++next;
  lock.unlock();
  changed_.notify_all();
  bool ok = c.writeRaw(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Cache-Control: no-cache, private\r\nTransfer-Encoding: chunked\r\n\r\n");
  lock.lock();
  while (ok) {
    // Woken by a change, or every 20 ms to notice a client that went away (a watcher
    // counts as open until then, as on a real server).
    changed_.wait_for(lock, std::chrono::milliseconds(20), [&] {
      return stopping_ || dropGeneration_ != generation || history_.size() > next;
    });
    if (stopping_ || dropGeneration_ != generation || peerClosed(c.socket)) break;
    if (history_.size() <= next && std::chrono::steady_clock::now() < deadline) continue;
    if (history_.size() <= next) {  // the timeout the client asked for: a clean end
      lock.unlock();
      c.writeRaw("0\r\n\r\n");
      lock.lock();
      break;
    }
    std::string out;
    for (; next < history_.size(); ++next) {
      const Event& e = history_[next];
      if (e.type == "BOOKMARK" ? !bookmarks : !matches(e.object, selector)) continue;
      out += chunk(json{{"type", e.type}, {"object", e.object}}.dump() + "\n");
    }
    lock.unlock();
    if (!out.empty()) ok = c.writeRaw(out);
    lock.lock();
  }
  --openWatches_;
  lock.unlock();
  changed_.notify_all();
  // Abrupt: no final chunk (serve() shuts the socket down).
}

std::string FakeKubeApiServer::addEventLocked(const std::string& type, json object) {
  ++rv_;
  object["metadata"]["resourceVersion"] = std::to_string(rv_);
  history_.push_back({rv_, type, std::move(object)});
  return std::to_string(rv_);
}

std::string FakeKubeApiServer::upsert(json object) {
  std::string rv;
  {
    std::lock_guard lock(mutex_);
    object["metadata"]["namespace"] = options_.ns;
    std::string name = object["metadata"]["name"];
    bool existed = objects_.count(name) > 0;
    rv = addEventLocked(existed ? "MODIFIED" : "ADDED", object);
    objects_[name] = history_.back().object;
  }
  changed_.notify_all();
  return rv;
}

std::string FakeKubeApiServer::remove(const std::string& name) {
  std::string rv;
  {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(name);
    if (it == objects_.end()) return "";
    json object = it->second;
    objects_.erase(it);
    rv = addEventLocked("DELETED", std::move(object));
  }
  changed_.notify_all();
  return rv;
}

void FakeKubeApiServer::removeSilently(const std::string& name) {
  std::lock_guard lock(mutex_);
  objects_.erase(name);
  ++rv_;
}

std::string FakeKubeApiServer::bookmark() {
  std::string rv;
  {
    std::lock_guard lock(mutex_);
    json object = {{"kind", options_.endpointSlices ? "EndpointSlice" : "Pod"},
                   {"apiVersion", options_.endpointSlices ? "discovery.k8s.io/v1" : "v1"},
                   {"metadata", json::object()}};
    rv = addEventLocked("BOOKMARK", std::move(object));
  }
  changed_.notify_all();
  return rv;
}

void FakeKubeApiServer::compact() {
  std::lock_guard lock(mutex_);
  compactedBelow_ = rv_;
  history_.clear();
}

void FakeKubeApiServer::setGoneAs(GoneAs how) {
  std::lock_guard lock(mutex_);
  goneAs_ = how;
}

void FakeKubeApiServer::setToken(std::string token) {
  std::lock_guard lock(mutex_);
  options_.token = std::move(token);
}

void FakeKubeApiServer::setPageSize(int items) {
  std::lock_guard lock(mutex_);
  pageSize_ = items;
}

void FakeKubeApiServer::dropWatches() {
  {
    std::lock_guard lock(mutex_);
    ++dropGeneration_;
  }
  changed_.notify_all();
}

std::string FakeKubeApiServer::resourceVersion() const {
  std::lock_guard lock(mutex_);
  return std::to_string(rv_);
}

std::vector<FakeKubeApiServer::Request> FakeKubeApiServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<FakeKubeApiServer::Request> FakeKubeApiServer::watchRequests() const {
  std::lock_guard lock(mutex_);
  std::vector<Request> out;
  for (const auto& r : requests_) {
    if (r.watch) out.push_back(r);
  }
  return out;
}

int FakeKubeApiServer::openWatches() const {
  std::lock_guard lock(mutex_);
  return openWatches_;
}

bool FakeKubeApiServer::waitFor(const std::function<bool()>& done,
                                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

json FakeKubeApiServer::pod(const std::string& name, const std::string& ip, bool ready,
                            std::map<std::string, std::string> labels, const std::string& phase) {
  json status = {{"phase", phase},
                 {"conditions",
                  {{{"type", "Initialized"}, {"status", "True"}},
                   {{"type", "Ready"}, {"status", ready ? "True" : "False"}},
                   {{"type", "ContainersReady"}, {"status", ready ? "True" : "False"}},
                   {{"type", "PodScheduled"}, {"status", "True"}}}}};
  if (!ip.empty()) {
    status["podIP"] = ip;
    status["podIPs"] = json::array({{{"ip", ip}}});
  }
  return {{"kind", "Pod"},
          {"apiVersion", "v1"},
          {"metadata", {{"name", name}, {"uid", "uid-" + name}, {"labels", labels}}},
          {"spec", {{"containers", json::array({{{"name", "server"}, {"image", "vllm"}}})}}},
          {"status", status}};
}

}  // namespace epp::testing

#include "host/runtime/kubernetes_endpoint_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <tuple>

#include "host/common/logging.h"
#include "host/common/tls_client.h"
#include "host/runtime/kubernetes_objects.h"

namespace epp::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Parser = http::response_parser<http::string_body>;
using Resource = config::KubernetesSourceSpec::Resource;

// Where the API server is, resolved when a request is made (in the cluster, from the
// environment kubelet sets in every container).
struct ApiServer {
  bool tls = true;
  std::string host;
  uint16_t port = 443;
  std::string hostHeader;
  std::string caFile;
  std::string tokenFile;
};

common::Result<ApiServer> apiServerOf(const config::KubernetesSourceSpec& k) {
  ApiServer s;
  s.caFile = k.caFile;
  s.tokenFile = k.tokenFile;
  if (!k.apiServer.empty()) {
    s.tls = k.tls;
    s.host = k.apiHost;
    s.port = static_cast<uint16_t>(k.apiPort);
  } else {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    if (host == nullptr || *host == '\0') {
      return common::Error{
          "apiServer is not set and neither is KUBERNETES_SERVICE_HOST (eppd is not running "
          "in a pod): write apiServer"};
    }
    s.host = host;
    if (s.host.size() > 2 && s.host.front() == '[' && s.host.back() == ']') {
      s.host = s.host.substr(1, s.host.size() - 2);
    }
    std::string_view text = port != nullptr ? port : "443";
    uint16_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n == 0) {
      return common::Error{fmt::format("KUBERNETES_SERVICE_PORT '{}' is not a port", text)};
    }
    s.port = n;
  }
  bool v6 = s.host.find(':') != std::string::npos;
  s.hostHeader = v6 ? fmt::format("[{}]:{}", s.host, s.port) : fmt::format("{}:{}", s.host, s.port);
  return s;
}

common::Result<std::string> readToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return common::Error{fmt::format("tokenFile {}: {}", path, std::strerror(errno))};
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  size_t start = token.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return common::Error{fmt::format("tokenFile {} is empty", path)};
  return token.substr(start);
}

// One connection to the API server, plain or TLS. Used on the io_context's thread only.
class ApiStream {
 public:
  explicit ApiStream(asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Resolves, connects and (for https) handshakes; returns what failed, or "".
  asio::awaitable<std::string> open(const ApiServer& server, std::chrono::milliseconds timeout) {
    beast::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (server.tls) {
      auto context = common::makeTlsClientContext({server.caFile, false});
      if (!context) co_return context.error();
      context_ = *context;
      tls_.emplace(executor_, *context_);
      if (auto ready = common::prepareTlsClientStream(*tls_, server.host, true); !ready) {
        co_return ready.error();
      }
    } else {
      plain_.emplace(executor_);
    }
    resolver_.emplace(executor_);
    auto results =
        co_await resolver_->async_resolve(server.host, std::to_string(server.port), token);
    if (ec) co_return fmt::format("resolving {}: {}", server.host, ec.message());
    lowest().expires_after(timeout);
    co_await lowest().async_connect(results, token);
    if (ec) co_return fmt::format("connecting to {}: {}", server.hostHeader, ec.message());
    if (tls_) {
      co_await tls_->async_handshake(asio::ssl::stream_base::client, token);
      if (ec) {
        co_return fmt::format("TLS handshake with {}: {}", server.hostHeader,
                              common::describeTlsError(ec, tls_->native_handle()));
      }
    }
    co_return "";
  }

  void expiresAfter(Clock::duration d) { lowest().expires_after(d); }

  asio::awaitable<beast::error_code> write(http::request<http::empty_body>& request) {
    return onStream(
        [&](auto& stream, auto token) { return http::async_write(stream, request, token); });
  }

  asio::awaitable<beast::error_code> readHeader(Parser& parser) {
    return onStream([&](auto& stream, auto token) {
      return http::async_read_header(stream, buffer_, parser, token);
    });
  }

  asio::awaitable<beast::error_code> readSome(Parser& parser) {
    return onStream([&](auto& stream, auto token) {
      return http::async_read_some(stream, buffer_, parser, token);
    });
  }

  asio::awaitable<beast::error_code> read(Parser& parser) {
    return onStream(
        [&](auto& stream, auto token) { return http::async_read(stream, buffer_, parser, token); });
  }

  // Cancels whatever is in progress. The API server needs no TLS close_notify.
  void close() {
    if (resolver_) resolver_->cancel();
    if (tls_ || plain_) lowest().close();
  }

 private:
  // Runs one asynchronous operation `op(stream, token)` on whichever stream is open and
  // returns its error code. `op` and what it refers to outlive the co_await: the callers
  // await the result before returning.
  template <class Op>
  asio::awaitable<beast::error_code> onStream(Op op) {
    beast::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (tls_) {
      co_await op(*tls_, token);
    } else {
      co_await op(*plain_, token);
    }
    co_return ec;
  }

  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  asio::any_io_executor executor_;
  std::optional<tcp::resolver> resolver_;
  std::shared_ptr<asio::ssl::context> context_;  // outlives tls_ (declared before it)
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::optional<beast::tcp_stream> plain_;
  beast::flat_buffer buffer_;
};

// The end of a watch stream that is not an error: the server finished (its timeout) or
// dropped the connection; either way the watch resumes from the last resourceVersion.
bool streamEnded(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::ssl::error::stream_truncated;
}

// A compact identity of an endpoint list, to publish only what changed.
std::string fingerprint(const std::vector<config::EndpointSpec>& list) {
  std::string out;
  for (const auto& e : list) {
    out += fmt::format("{}|{}|{}|{}|{}|{}|{}", e.name, e.address, e.port, e.engine, e.role, e.pool,
                       e.scrape);
    for (const auto& [k, v] : e.labels) out += "|" + k + "=" + v;
    out += "\n";
  }
  return out;
}

}  // namespace

struct KubernetesEndpointSource::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& context, config::EndpointSourceSpec sourceSpec, Publish publishFn,
       OnError onErrorFn, OnRecovered onRecoveredFn, KubernetesTiming sourceTiming)
      : io(context),
        spec(std::move(sourceSpec)),
        publish(std::move(publishFn)),
        onError(std::move(onErrorFn)),
        onRecovered(std::move(onRecoveredFn)),
        timing(sourceTiming),
        timer(context) {}

  struct Outcome {
    enum class Kind { kDone, kGone, kFailed };
    Kind kind = Kind::kDone;
    std::string error;
    bool progressed = false;  // listed, or the watch delivered events or lasted
  };
  static Outcome failed(std::string error) {
    return {Outcome::Kind::kFailed, std::move(error), false};
  }

  asio::io_context& io;
  const config::EndpointSourceSpec spec;
  const Publish publish;
  const OnError onError;
  const OnRecovered onRecovered;
  const KubernetesTiming timing;

  // The io_context's thread only.
  asio::steady_timer timer;
  std::shared_ptr<ApiStream> active;
  std::map<std::string, std::vector<config::EndpointSpec>> objects;  // by object name
  bool failing = false;
  bool published = false;
  std::string publishedFingerprint;

  // Shared with stop() and the accessors.
  mutable std::mutex mutex;
  bool stopped = false;
  std::string resourceVersion;
  std::atomic<uint64_t> lists{0};
  std::atomic<uint64_t> watches{0};
  std::atomic<uint64_t> failures{0};

  bool isStopped() const {
    std::lock_guard<std::mutex> lock(mutex);
    return stopped;
  }

  std::string rv() const {
    std::lock_guard<std::mutex> lock(mutex);
    return resourceVersion;
  }

  void setRv(std::string value) {
    std::lock_guard<std::mutex> lock(mutex);
    resourceVersion = std::move(value);
  }

  std::string_view resourceName() const {
    return spec.kubernetes.resource == Resource::kPods ? "pods" : "endpointslices";
  }

  // Waits `backoff`, then doubles it up to the maximum.
  asio::awaitable<void> pause(std::chrono::milliseconds& backoff) {
    timer.expires_after(backoff);
    beast::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    backoff = std::min(backoff * 2, timing.maxBackoff);
  }

  asio::awaitable<void> run() {
    std::chrono::milliseconds backoff = timing.initialBackoff;
    while (!isStopped()) {
      Outcome outcome;
      const bool listing = rv().empty();
      if (listing) {
        outcome = co_await list();
      } else {
        outcome = co_await watch();
      }
      active.reset();
      if (isStopped()) break;
      if (outcome.kind == Outcome::Kind::kFailed) {
        report(outcome.error);
        co_await pause(backoff);
        continue;
      }
      if (outcome.kind == Outcome::Kind::kGone) {
        common::logger()->info(
            "endpoint source {}: resourceVersion {} is too old for the API server; listing "
            "again",
            spec.key(), rv());
        setRv("");
        // A watch refused as too old lists again at once (the list itself backs off if it
        // fails); a list whose page token expired waits, so it cannot spin.
        if (!listing) continue;
      } else {
        recovered();
      }
      if (outcome.progressed) {
        backoff = timing.initialBackoff;
      } else {
        // A watch that ends at once, again and again, must not spin.
        co_await pause(backoff);
      }
    }
  }

  void report(const std::string& error) {
    ++failures;
    failing = true;
    std::lock_guard<std::mutex> lock(mutex);
    if (!stopped && onError) onError(error);
  }

  void recovered() {
    if (!failing) return;
    failing = false;
    std::lock_guard<std::mutex> lock(mutex);
    if (!stopped && onRecovered) onRecovered();
  }

  // Sends GET `target` on a new connection and reads the answer's header into `parser`.
  asio::awaitable<std::string> request(ApiStream& stream, const std::string& target, Parser& parser,
                                       std::string_view what) {
    auto server = apiServerOf(spec.kubernetes);
    if (!server) co_return server.error();
    std::string token;
    if (!server->tokenFile.empty()) {
      auto read = readToken(server->tokenFile);
      if (!read) co_return read.error();
      token = std::move(*read);
    }
    if (isStopped()) co_return "stopped";
    if (std::string error = co_await stream.open(*server, timing.connectTimeout); !error.empty()) {
      co_return error;
    }
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, server->hostHeader);
    req.set(http::field::user_agent, "eppd");
    req.set(http::field::accept, "application/json");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    stream.expiresAfter(timing.requestTimeout);
    if (auto ec = co_await stream.write(req)) {
      co_return fmt::format("{} request to {}: {}", what, server->hostHeader, ec.message());
    }
    if (auto ec = co_await stream.readHeader(parser)) {
      if (ec == beast::error::timeout) {
        co_return fmt::format("{}: no answer from {} within {} ms", what, server->hostHeader,
                              timing.requestTimeout.count());
      }
      co_return fmt::format("{} answer from {}: {}", what, server->hostHeader, ec.message());
    }
    co_return "";
  }

  std::string httpError(std::string_view what, int status, std::string_view body) const {
    std::string message = kube::statusMessage(body);
    std::string hint;
    if (status == 401) {
      hint = spec.kubernetes.tokenFile.empty()
                 ? " (no token is sent: set tokenFile)"
                 : fmt::format(" (check the token in {})", spec.kubernetes.tokenFile);
    } else if (status == 403) {
      hint = fmt::format(" (eppd's service account needs get, list and watch on {} in {})",
                         resourceName(), spec.kubernetes.ns);
    }
    return fmt::format("{}: HTTP {} from the API server: {}{}", what, status, message, hint);
  }

  asio::awaitable<Outcome> list() {
    const std::string kind =
        spec.kubernetes.resource == Resource::kPods ? "PodList" : "EndpointSliceList";
    std::map<std::string, std::vector<config::EndpointSpec>> fresh;
    std::string continueToken;
    std::string listRv;
    do {
      auto stream = std::make_shared<ApiStream>(io.get_executor());
      active = stream;
      Parser parser;
      parser.body_limit(timing.maxListBodyBytes);
      std::string target = kube::listTarget(spec.kubernetes, continueToken, timing.listPageSize);
      if (std::string error = co_await request(*stream, target, parser, "list"); !error.empty()) {
        co_return failed(std::move(error));
      }
      if (auto ec = co_await stream->read(parser)) {
        co_return failed(fmt::format("list: reading the answer: {}", ec.message()));
      }
      stream->close();
      int status = static_cast<int>(parser.get().result_int());
      // A page token the server no longer knows: the list starts over.
      if (status == 410 && !continueToken.empty()) co_return Outcome{Outcome::Kind::kGone};
      if (status != 200) co_return failed(httpError("list", status, parser.get().body()));
      auto page = kube::parseListPage(parser.get().body(), kind);
      if (!page) co_return failed("list: " + page.error());
      for (const auto& item : page->items) {
        auto endpoints = kube::endpointsOf(spec, item);
        if (!endpoints.empty()) fresh[kube::objectName(item)] = std::move(endpoints);
      }
      continueToken = page->continueToken;
      listRv = page->resourceVersion;
    } while (!continueToken.empty());
    objects = std::move(fresh);
    setRv(listRv);
    ++lists;
    publishIfChanged();
    co_return Outcome{Outcome::Kind::kDone, "", true};
  }

  asio::awaitable<Outcome> watch() {
    ++watches;
    auto stream = std::make_shared<ApiStream>(io.get_executor());
    active = stream;
    Parser parser;
    // No limit on the stream as a whole (each event is bounded below). Not boost::none:
    // Beast 1.74 compares a Content-Length against it as "greater than none", always true.
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    auto started = Clock::now();
    std::string target = kube::watchTarget(spec.kubernetes, rv(), timing.watchTimeoutSeconds);
    if (std::string error = co_await request(*stream, target, parser, "watch"); !error.empty()) {
      co_return failed(std::move(error));
    }
    int status = static_cast<int>(parser.get().result_int());
    if (status == 410) co_return Outcome{Outcome::Kind::kGone};
    if (status != 200) {
      stream->expiresAfter(timing.requestTimeout);
      co_await stream->read(parser);
      co_return failed(httpError("watch", status, parser.get().body()));
    }
    recovered();
    bool delivered = false;
    std::string& body = parser.get().body();
    const auto idle = std::chrono::seconds(timing.watchTimeoutSeconds) + timing.watchIdleSlack;
    for (;;) {
      stream->expiresAfter(idle);
      beast::error_code ec = co_await stream->readSome(parser);
      if (isStopped()) co_return Outcome{};
      bool changed = false;
      size_t start = 0;
      for (size_t end; (end = body.find('\n', start)) != std::string::npos; start = end + 1) {
        std::string_view line(body.data() + start, end - start);
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        delivered = true;
        Outcome outcome = apply(line, changed);
        if (outcome.kind != Outcome::Kind::kDone) {
          if (changed) publishIfChanged();
          co_return outcome;
        }
      }
      body.erase(0, start);
      if (changed) publishIfChanged();
      if (body.size() > timing.maxEventBytes) {
        co_return failed(
            fmt::format("watch: an event is larger than {} bytes", timing.maxEventBytes));
      }
      if (ec) {
        if (ec == beast::error::timeout) {
          co_return failed(
              fmt::format("watch: nothing from the API server for {} s",
                          std::chrono::duration_cast<std::chrono::seconds>(idle).count()));
        }
        if (!streamEnded(ec)) co_return failed("watch: " + ec.message());
        break;
      }
      if (parser.is_done()) break;
    }
    bool lasted = Clock::now() - started >= std::chrono::seconds(1);
    co_return Outcome{Outcome::Kind::kDone, "", delivered || lasted};
  }

  // One event line; `changed` is set when the endpoint objects changed.
  Outcome apply(std::string_view line, bool& changed) {
    auto event = kube::parseWatchEvent(line);
    if (!event) return failed("watch: " + event.error());
    using Type = kube::WatchEvent::Type;
    switch (event->type) {
      case Type::kError:
        if (event->code == 410) return Outcome{Outcome::Kind::kGone};
        return failed(fmt::format("watch: the API server sent an error: {} (code {})",
                                  event->message, event->code));
      case Type::kAdded:
      case Type::kModified: {
        auto endpoints = kube::endpointsOf(spec, event->object);
        auto it = objects.find(event->name);
        if (endpoints.empty()) {
          if (it != objects.end()) {
            objects.erase(it);
            changed = true;
          }
        } else {
          objects[event->name] = std::move(endpoints);
          changed = true;
        }
        break;
      }
      case Type::kDeleted:
        changed = objects.erase(event->name) > 0 || changed;
        break;
      case Type::kBookmark:
        break;
    }
    setRv(event->resourceVersion);
    return Outcome{};
  }

  void publishIfChanged() {
    std::vector<config::EndpointSpec> all;
    for (const auto& [name, endpoints] : objects) {
      all.insert(all.end(), endpoints.begin(), endpoints.end());
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return std::tie(a.address, a.port, a.name) < std::tie(b.address, b.port, b.name);
    });
    // Two objects claiming one ip:port (a pod recreated under a new name with the old IP
    // before the old one's DELETED arrives): the first keeps it.
    all.erase(std::unique(all.begin(), all.end(),
                          [](const auto& a, const auto& b) {
                            return a.address == b.address && a.port == b.port;
                          }),
              all.end());
    std::string print = fingerprint(all);
    if (published && print == publishedFingerprint) return;
    std::lock_guard<std::mutex> lock(mutex);
    if (stopped) return;
    published = true;
    publishedFingerprint = std::move(print);
    if (publish) publish(std::move(all));
  }
};

KubernetesEndpointSource::KubernetesEndpointSource(boost::asio::io_context& io,
                                                   config::EndpointSourceSpec spec, Publish publish,
                                                   OnError onError, OnRecovered onRecovered,
                                                   KubernetesTiming timing)
    : impl_(std::make_shared<Impl>(io, std::move(spec), std::move(publish), std::move(onError),
                                   std::move(onRecovered), timing)) {}

KubernetesEndpointSource::~KubernetesEndpointSource() { stop(); }

void KubernetesEndpointSource::start() {
  // The function object (holding `impl`) lives as long as the coroutine.
  asio::co_spawn(
      impl_->io, [impl = impl_]() { return impl->run(); }, asio::detached);
}

void KubernetesEndpointSource::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  // The timer and the connection belong to the io_context's thread; cancel them there.
  asio::post(impl_->io, [impl = impl_] {
    impl->timer.cancel();
    if (impl->active) impl->active->close();
  });
}

uint64_t KubernetesEndpointSource::lists() const { return impl_->lists.load(); }
uint64_t KubernetesEndpointSource::watches() const { return impl_->watches.load(); }
uint64_t KubernetesEndpointSource::failures() const { return impl_->failures.load(); }
std::string KubernetesEndpointSource::resourceVersion() const { return impl_->rv(); }

}  // namespace epp::runtime

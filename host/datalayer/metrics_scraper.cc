#include "host/datalayer/metrics_scraper.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "host/common/clock.h"
#include "host/common/logging.h"
#include "host/common/tls_client.h"
#include "host/datalayer/scrape_metrics.h"
#include "host/datalayer/scrape_outcome.h"

namespace epp::datalayer {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A health answer is small; anything larger is not one.
constexpr int64_t kMaxHealthBody = 64 * 1024;

struct Target {
  std::string pool;
  std::string hostPort;
  tcp::endpoint peer;
  // One of the two, after the scheme (https: `tls`, made with `tlsContext`, which is
  // declared first so that it outlives the stream).
  std::shared_ptr<asio::ssl::context> tlsContext;
  std::optional<beast::tcp_stream> stream;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  bool connected = false;
  beast::flat_buffer buffer;
  Clock::time_point deadline;
  bool busy = false;
  bool removed = false;          // left the endpoint set while a collection was in flight
  bool failing = false;          // for logging transitions only
  bool probedUnhealthy = false;  // the last /health answer kept it out (logging only)
  int64_t lastHealthNs = 0;
  bool healthProbed = false;
  std::string detectedEngine;  // engine `auto`, once /v1/models was recognised
};

struct Fetched {
  beast::error_code ec;
  bool connectFailed = false;
  std::string tlsError;  // the handshake failed: why
  int status = 0;
  std::string body;
  std::string contentType;
};

std::string key(const std::string& pool, const std::string& hostPort) {
  return pool + "|" + hostPort;
}

}  // namespace

struct MetricsScraper::Impl {
  Impl(EndpointStore& s, ScrapeSetupSource src) : store(s), setup(std::move(src)), timer(io) {}

  // Declared first, destroyed last: coroutine frames it still holds own Targets, whose
  // sockets must be closed while it exists.
  asio::io_context io;
  EndpointStore& store;
  ScrapeSetupSource setup;
  asio::steady_timer timer;
  std::unordered_map<std::string, std::shared_ptr<Target>> targets;
  std::vector<ScrapeOutcome> pending;
  size_t inFlight = 0;
  ScrapeSettings settings;

  void scheduleTick(int64_t delayNs) {
    timer.expires_after(std::chrono::nanoseconds(delayNs));
    timer.async_wait([this](beast::error_code ec) {
      if (!ec) tick();
    });
  }

  void tick() {
    ScrapeSetupPtr current = setup ? setup() : nullptr;
    settings = current ? current->settings : ScrapeSettings{};
    publish();
    EndpointSnapshotPtr snap = store.current();
    std::unordered_set<std::string> live;
    for (size_t i = 0; i < snap->size(); ++i) {
      const EndpointState& s = snap->state(i);
      if (!settings.enabled || !current || !s.scrape || s.manual) continue;
      std::string hostPort = s.hostPort();
      std::string k = key(s.pool, hostPort);
      live.insert(k);
      std::shared_ptr<Target>& t = targets[k];
      if (!t) {
        t = std::make_shared<Target>();
        t->pool = s.pool;
        t->hostPort = hostPort;
        beast::error_code ec;
        t->peer = tcp::endpoint(asio::ip::make_address(s.address, ec),
                                static_cast<unsigned short>(s.port));
      }
      if (t->busy) continue;
      std::string engine = current->engineOf(s.labels, s.engine);
      if (engine == kAutoEngine) {
        if (t->detectedEngine.empty()) {
          t->busy = true;
          ++inFlight;
          asio::co_spawn(io, detect(t, current), asio::detached);
          continue;
        }
        engine = t->detectedEngine;
      }
      auto adapter = current->adapters.find(engine);
      if (adapter == current->adapters.end()) {
        ScrapeOutcome out =
            failure(*t, "no-adapter", fmt::format("no backend adapter for engine '{}'", engine));
        finish(*t, std::move(out), 0);
        continue;
      }
      t->busy = true;
      ++inFlight;
      asio::co_spawn(io, collect(t, current, adapter->second), asio::detached);
    }
    for (auto it = targets.begin(); it != targets.end();) {
      if (live.count(it->first)) {
        ++it;
        continue;
      }
      Target& t = *it->second;
      t.removed = true;
      if (t.busy) {
        // A collection is in flight and its read refers to the stream: closing the socket
        // ends that read (operation_aborted); the coroutine, which holds the target, resets
        // the stream once the read has returned. Destroying the stream here was a
        // use-after-free (ASan, a pod leaving while being scraped).
        if (beast::tcp_stream* stream = lowest(t)) stream->close();
      } else {
        close(t);
      }
      ScrapeMetrics::get().forget(t.hostPort, t.pool);
      it = targets.erase(it);
    }
    // Staleness advances with time alone: publish when a flag flips even without results.
    if (inFlight == 0 && stalenessChanges(*store.current(), settings, common::monotonicNowNs())) {
      publish(/*force=*/true);
    }
    scheduleTick(settings.intervalNs);
  }

  static ScrapeOutcome failure(const Target& t, std::string reason, std::string error) {
    ScrapeOutcome out;
    out.pool = t.pool;
    out.hostPort = t.hostPort;
    out.reason = std::move(reason);
    out.error = std::move(error);
    out.atNs = common::monotonicNowNs();
    return out;
  }

  static beast::tcp_stream* lowest(Target& t) {
    if (t.tls) return &beast::get_lowest_layer(*t.tls);
    return t.stream ? &*t.stream : nullptr;
  }

  void close(Target& t) {
    if (beast::tcp_stream* s = lowest(t)) {
      beast::error_code ignored;
      s->socket().shutdown(tcp::socket::shutdown_both, ignored);
      s->close();
    }
    t.stream.reset();
    t.tls.reset();
    t.tlsContext.reset();
    t.connected = false;
    t.buffer.clear();
  }

  // A stream for the setup's scheme (a reload that changes it starts a new connection).
  void ensureStream(Target& t, const std::shared_ptr<asio::ssl::context>& tls) {
    if ((t.stream || t.tls) && t.tlsContext != tls) close(t);
    if (!t.stream && !t.tls) {
      if (tls) {
        t.tls.emplace(io, *tls);
        t.tlsContext = tls;
      } else {
        t.stream.emplace(io);
      }
    }
    lowest(t)->expires_at(t.deadline);
  }

  template <class Message>
  asio::awaitable<void> write(Target& t, Message& message, beast::error_code& ec) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (t.tls) {
      co_await http::async_write(*t.tls, message, token);
    } else {
      co_await http::async_write(*t.stream, message, token);
    }
  }

  template <class Parser>
  asio::awaitable<void> readHeader(Target& t, Parser& parser, beast::error_code& ec) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (t.tls) {
      co_await http::async_read_header(*t.tls, t.buffer, parser, token);
    } else {
      co_await http::async_read_header(*t.stream, t.buffer, parser, token);
    }
  }

  template <class Parser>
  asio::awaitable<void> read(Target& t, Parser& parser, beast::error_code& ec) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (t.tls) {
      co_await http::async_read(*t.tls, t.buffer, parser, token);
    } else {
      co_await http::async_read(*t.stream, t.buffer, parser, token);
    }
  }

  // One GET on the target's connection, reconnecting once when a kept-alive connection
  // turns out to have been closed by the server meanwhile.
  asio::awaitable<Fetched> fetch(std::shared_ptr<Target> t, ScrapeSetupPtr setupPtr,
                                 std::string path, int64_t maxBody) {
    Fetched f;
    for (int attempt = 0; attempt < 2; ++attempt) {
      f = Fetched{};
      auto token = asio::redirect_error(asio::use_awaitable, f.ec);
      ensureStream(*t, setupPtr->tls);
      bool reused = t->connected;
      if (!t->connected) {
        co_await lowest(*t)->async_connect(t->peer, token);
        if (f.ec) {
          f.connectFailed = true;
          close(*t);
          co_return f;
        }
        if (t->tls) {
          // The certificate must name the endpoint's IP (unless verification is off).
          std::string ip = t->peer.address().to_string();
          bool verify = !setupPtr->settings.insecureSkipVerify;
          if (auto ready = common::prepareTlsClientStream(*t->tls, ip, verify); !ready) {
            f.tlsError = ready.error();
          } else {
            co_await t->tls->async_handshake(asio::ssl::stream_base::client, token);
            if (f.ec) f.tlsError = common::describeTlsError(f.ec, t->tls->native_handle());
          }
          if (!f.tlsError.empty()) {
            if (!f.ec) f.ec = asio::ssl::error::stream_truncated;  // any error code
            close(*t);
            co_return f;
          }
        }
        t->connected = true;
      }
      http::request<http::empty_body> req{http::verb::get, path, 11};
      req.set(http::field::host, t->hostPort);
      req.set(http::field::user_agent, "eppd");
      req.set(http::field::accept,
              "text/plain;version=0.0.4, application/openmetrics-text;q=0.5, */*;q=0.1");
      req.keep_alive(true);
      co_await write(*t, req, f.ec);
      if (!f.ec) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(static_cast<uint64_t>(maxBody));
        // Beast 1.74's read of a whole message skips the body limit when a Content-Length
        // body arrives with its header: check the length between header and body.
        co_await readHeader(*t, parser, f.ec);
        if (!f.ec && parser.content_length() &&
            *parser.content_length() > static_cast<uint64_t>(maxBody)) {
          f.ec = http::error::body_limit;
        }
        if (!f.ec) co_await read(*t, parser, f.ec);
        if (!f.ec && parser.get().body().size() > static_cast<uint64_t>(maxBody)) {
          f.ec = http::error::body_limit;  // a chunked body
        }
        if (!f.ec) {
          auto& res = parser.get();
          f.status = static_cast<int>(res.result_int());
          f.contentType = std::string(res[http::field::content_type]);
          f.body = std::move(res.body());
          if (!res.keep_alive()) close(*t);
          co_return f;
        }
      }
      bool serverClosed = f.ec == http::error::end_of_stream || f.ec == asio::error::eof ||
                          f.ec == asio::error::connection_reset || f.ec == asio::error::broken_pipe;
      close(*t);
      if (!(reused && serverClosed)) co_return f;
    }
    co_return f;
  }

  static std::string describe(const Fetched& f, const std::string& path, int64_t timeoutNs,
                              int64_t maxBody, std::string& reason) {
    if (f.ec == beast::error::timeout) {
      reason = "timeout";
      return fmt::format("{}: no complete answer within {} ms", path, timeoutNs / 1'000'000);
    }
    if (!f.tlsError.empty()) {
      reason = "tls";
      return fmt::format("TLS handshake: {}", f.tlsError);
    }
    if (f.connectFailed) {
      reason = "connect";
      return fmt::format("connect: {}", f.ec.message());
    }
    if (f.ec == http::error::body_limit) {
      reason = "body-too-large";
      return fmt::format("{}: response body exceeds {} bytes", path, maxBody);
    }
    if (f.ec.category() == http::make_error_code(http::error::bad_version).category()) {
      reason = "protocol";
      return fmt::format("{}: not a valid HTTP response: {}", path, f.ec.message());
    }
    reason = "read";
    return fmt::format("{}: {}", path, f.ec.message());
  }

  asio::awaitable<void> collect(std::shared_ptr<Target> t, ScrapeSetupPtr setupPtr,
                                BackendAdapterPtr adapter) {
    const ScrapeSettings& st = setupPtr->settings;
    int64_t started = common::monotonicNowNs();
    t->deadline = Clock::now() + std::chrono::nanoseconds(st.timeoutNs);
    ScrapeOutcome out = failure(*t, "", "");
    std::string path = st.path.empty() ? adapter->metricsPath() : st.path;
    Fetched f = co_await fetch(t, setupPtr, path, st.maxBodyBytes);
    if (f.ec) {
      out.error = describe(f, path, st.timeoutNs, st.maxBodyBytes, out.reason);
    } else if (f.status != 200) {
      out.reason = "http-status";
      out.error = fmt::format("{}: HTTP {}", path, f.status);
    } else if (auto parsed = adapter->parse(f.body, f.contentType); !parsed) {
      out.reason = "parse";
      out.error = fmt::format("{}: {}", path, parsed.error());
    } else if (parsed->numbers.present == 0) {
      out.reason = "empty";
      out.error = fmt::format("{}: none of the {} adapter's metrics in the response", path,
                              adapter->engine());
    } else {
      out.ok = true;
      out.metrics = std::move(*parsed);
      out.detectedEngine = t->detectedEngine;
    }
    const std::string& health = adapter->healthPath();
    bool healthDue = !health.empty() && st.healthIntervalNs > 0 &&
                     (!t->healthProbed || started - t->lastHealthNs >= st.healthIntervalNs);
    if (out.ok && healthDue && !t->removed) {
      Fetched h = co_await fetch(t, setupPtr, health, kMaxHealthBody);
      if (h.ec) {
        out.ok = false;
        out.error = describe(h, health, st.timeoutNs, kMaxHealthBody, out.reason);
      } else {
        out.probedHealth = adapter->health(h.status, h.body);
        t->healthProbed = true;
        t->lastHealthNs = started;
        if (!servable(*out.probedHealth)) {
          out.healthError =
              fmt::format("{}: HTTP {}: {}", health, h.status,
                          *out.probedHealth == EPP_HEALTH_NOT_READY ? "not ready" : "unhealthy");
        }
      }
    }
    if (beast::tcp_stream* s = lowest(*t)) s->expires_never();
    out.atNs = common::monotonicNowNs();
    double seconds = static_cast<double>(out.atNs - started) / 1e9;
    --inFlight;
    t->busy = false;
    finish(*t, std::move(out), seconds);
    if (inFlight == 0) publish();
  }

  // Engine `auto`: asks /v1/models and takes the first adapter whose detect hook
  // recognises the answer; the next tick then collects with it. Until one does, each
  // attempt is a failed collection ("detect") and the next tick asks again.
  asio::awaitable<void> detect(std::shared_ptr<Target> t, ScrapeSetupPtr setupPtr) {
    const ScrapeSettings& st = setupPtr->settings;
    int64_t started = common::monotonicNowNs();
    t->deadline = Clock::now() + std::chrono::nanoseconds(st.timeoutNs);
    ScrapeOutcome out = failure(*t, "detect", "");
    const std::string path = "/v1/models";
    Fetched f = co_await fetch(t, setupPtr, path, kMaxHealthBody);
    if (f.ec) {
      out.error = describe(f, path, st.timeoutNs, kMaxHealthBody, out.reason);
    } else if (f.status != 200) {
      out.reason = "http-status";
      out.error = fmt::format("engine auto: {}: HTTP {}", path, f.status);
    } else {
      for (const auto& [name, adapter] : setupPtr->adapters) {
        if (adapter->detect(f.body).value_or(false)) {
          t->detectedEngine = name;
          break;
        }
      }
      if (t->detectedEngine.empty()) {
        out.error = fmt::format("engine auto: no backend adapter recognises the {} answer", path);
      } else {
        common::logger()->info("scrape {}: engine auto: detected {}", t->hostPort,
                               t->detectedEngine);
      }
    }
    if (beast::tcp_stream* s = lowest(*t)) s->expires_never();
    --inFlight;
    t->busy = false;
    if (!t->detectedEngine.empty()) co_return;  // collected at the next tick
    out.atNs = common::monotonicNowNs();
    finish(*t, std::move(out), static_cast<double>(out.atNs - started) / 1e9);
    if (inFlight == 0) publish();
  }

  void finish(Target& t, ScrapeOutcome out, double seconds) {
    if (t.removed) return;
    ScrapeMetrics::get().collected(t.hostPort, t.pool, out.ok, out.reason, seconds);
    if (!out.ok && !t.failing) {
      common::logger()->warn("scrape {}: {} (counted in eppd_endpoint_scrape_failures_total)",
                             t.hostPort, out.error);
    } else if (out.ok && t.failing) {
      common::logger()->info("scrape {}: answers again", t.hostPort);
    }
    t.failing = !out.ok;
    if (out.probedHealth) {
      // Metrics that parse do not make a server that says it cannot serve a candidate: the
      // reason is logged (and shown in /endpoints as the last error) when it changes.
      const bool unhealthy = !servable(*out.probedHealth);
      if (unhealthy && !t.probedUnhealthy) {
        common::logger()->warn("scrape {}: {}: no requests go there until it is healthy again",
                               t.hostPort, out.healthError);
      } else if (!unhealthy && t.probedUnhealthy) {
        common::logger()->info("scrape {}: healthy again", t.hostPort);
      }
      t.probedUnhealthy = unhealthy;
    }
    pending.push_back(std::move(out));
  }

  void publish(bool force = false) {
    if (pending.empty() && !force) return;
    std::vector<ScrapeOutcome> outcomes = std::move(pending);
    pending.clear();
    int64_t now = common::monotonicNowNs();
    store.update([&](std::vector<EndpointState>& states) {
      return applyOutcomes(states, outcomes, settings, now);
    });
  }
};

MetricsScraper::MetricsScraper(EndpointStore& store, ScrapeSetupSource setup)
    : impl_(std::make_unique<Impl>(store, std::move(setup))) {}

MetricsScraper::~MetricsScraper() { stop(); }

void MetricsScraper::start() {
  if (thread_.joinable()) return;
  impl_->scheduleTick(0);
  thread_ = std::thread([this] { impl_->io.run(); });
}

void MetricsScraper::stop() {
  impl_->io.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace epp::datalayer

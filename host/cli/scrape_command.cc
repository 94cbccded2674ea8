#include "host/cli/scrape_command.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <sstream>

#include "host/common/tls_client.h"
#include "host/runtime/config_loader.h"
#include "host/runtime/scrape_setup_builder.h"

namespace epp::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // empty: the adapter's
};

common::Result<Url> parseUrl(const std::string& text) {
  Url url;
  std::string rest;
  if (text.rfind("https://", 0) == 0) {
    url.tls = true;
    rest = text.substr(8);
  } else if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else {
    return common::Error{"not an http:// or https:// URL"};
  }
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    url.path = rest.substr(slash);
    rest.resize(slash);
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || rest.back() == ']') {
    url.host = rest;
    url.port = url.tls ? "443" : "80";
  } else {
    url.host = rest.substr(0, colon);
    url.port = rest.substr(colon + 1);
  }
  if (url.host.size() > 2 && url.host.front() == '[')
    url.host = url.host.substr(1, url.host.size() - 2);
  if (url.host.empty()) return common::Error{"no host in " + text};
  return url;
}

struct Fetched {
  int status = 0;
  std::string contentType;
  std::string body;
};

template <class Stream>
Fetched exchange(Stream& stream, const Url& url, const std::string& path) {
  http::request<http::empty_body> request(http::verb::get, path, 11);
  request.set(http::field::host, url.host);
  request.set(http::field::user_agent, "eppd-scrape");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(stream, buffer, parser);
  const auto& response = parser.get();
  return Fetched{static_cast<int>(response.result_int()),
                 std::string(response[http::field::content_type]), response.body()};
}

// One blocking GET (a command-line tool: the scraper itself is asynchronous), over TLS for
// an https URL with the same checks the scraper makes.
common::Result<Fetched> get(const Url& url, const std::string& path,
                            const ScrapeCommandOptions& o) {
  const std::string what = std::string("GET ") + (url.tls ? "https://" : "http://") + url.host +
                           ":" + url.port + path + ": ";
  try {
    boost::asio::io_context io;
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeoutSeconds * 1000));
    if (!url.tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(timeout);
      stream.connect(tcp::resolver(io).resolve(url.host, url.port));
      return exchange(stream, url, path);
    }
    auto context = common::makeTlsClientContext({o.caFile, o.insecureSkipVerify});
    if (!context) return common::Error{what + context.error()};
    beast::ssl_stream<beast::tcp_stream> stream(io, **context);
    if (auto prepared = common::prepareTlsClientStream(stream, url.host, !o.insecureSkipVerify);
        !prepared) {
      return common::Error{what + prepared.error()};
    }
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(tcp::resolver(io).resolve(url.host, url.port));
    boost::system::error_code ec;
    stream.handshake(boost::asio::ssl::stream_base::client, ec);
    if (ec) return common::Error{what + common::describeTlsError(ec, stream.native_handle())};
    return exchange(stream, url, path);
  } catch (const std::exception& e) {
    return common::Error{what + e.what()};
  }
}

const char* healthName(epp_health h) {
  switch (h) {
    case EPP_HEALTH_HEALTHY:
      return "healthy";
    case EPP_HEALTH_NOT_READY:
      return "not-ready";
    case EPP_HEALTH_UNHEALTHY:
      return "unhealthy";
    default:
      return "unknown";
  }
}

json stateJson(const datalayer::ParsedMetrics& m) {
  const epp_endpoint_metrics& n = m.numbers;
  json out = json::object();
  auto put = [&](uint32_t bit, const char* key, auto value) {
    if (n.present & bit) out[key] = value;
  };
  put(EPP_METRICS_HAS_WAITING, "waiting", n.waiting_requests);
  put(EPP_METRICS_HAS_RUNNING, "running", n.running_requests);
  put(EPP_METRICS_HAS_KV_USAGE, "kvCacheUsage", n.kv_cache_usage);
  put(EPP_METRICS_HAS_MAX_LORAS, "maxLoras", n.max_loras);
  put(EPP_METRICS_HAS_CACHE_BLOCK_SIZE, "cacheBlockSize", n.cache_block_size);
  put(EPP_METRICS_HAS_CACHE_NUM_BLOCKS, "cacheNumBlocks", n.cache_num_blocks);
  if (m.hasLoraInfo()) {
    out["activeLoras"] = m.activeLoras;
    out["waitingLoras"] = m.waitingLoras;
  }
  if (!m.labels.empty()) out["labels"] = m.labels;
  return out;
}

}  // namespace

void addScrapeCommand(CLI::App& app, ScrapeCommandOptions& o, int& exitCode) {
  CLI::App* cmd = app.add_subcommand(
      "scrape", "Parse one model server's /metrics (URL or saved file) as eppd sees it");
  addLoadOptions(*cmd, o.load, false);
  cmd->add_option("--engine", o.engine, "Backend adapter to parse with (vllm, sglang, …)")
      ->capture_default_str();
  cmd->add_option("--timeout", o.timeoutSeconds, "Seconds for each HTTP request")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--ca-file", o.caFile,
                  "https: PEM bundle of trusted CAs (default: the system's trust store)");
  cmd->add_flag("--insecure-skip-verify", o.insecureSkipVerify,
                "https: do not check the server's certificate");
  cmd->add_option("source", o.source, "http(s)://host:port[/path] or a file")->required();
  cmd->callback([&] { exitCode = scrapeCommand(o, std::cout, std::cerr); });
}

int scrapeCommand(const ScrapeCommandOptions& o, std::ostream& out, std::ostream& err) {
  auto loaded = runtime::loadConfiguration(loadOptions(o.load, o.load.config), 0);
  if (!loaded) {
    err << "eppd scrape: " << loaded.error() << "\n";
    return 2;
  }
  auto setup = runtime::buildScrapeSetup(*loaded->snapshot, *loaded->registry);
  if (!setup) {
    err << "eppd scrape: " << setup.error() << "\n";
    return 2;
  }
  auto it = (*setup)->adapters.find(o.engine);
  if (it == (*setup)->adapters.end()) {
    std::string known;
    for (const auto& [name, adapter] : (*setup)->adapters)
      known += (known.empty() ? "" : ", ") + name;
    err << "eppd scrape: no backend adapter for engine '" << o.engine << "' (loaded: " << known
        << ")\n";
    return 2;
  }
  const datalayer::BackendAdapter& adapter = *it->second;

  json result = {{"engine", o.engine}, {"adapter", adapter.instanceName()}, {"source", o.source}};
  Fetched metrics;
  std::optional<Url> url;
  if (o.source.rfind("http", 0) == 0) {
    auto parsed = parseUrl(o.source);
    if (!parsed) {
      err << "eppd scrape: " << o.source << ": " << parsed.error() << "\n";
      return 2;
    }
    url = *parsed;
    const std::string path = url->path.empty() ? adapter.metricsPath() : url->path;
    auto fetched = get(*url, path, o);
    if (!fetched) {
      err << "eppd scrape: " << fetched.error() << "\n";
      return 2;
    }
    metrics = std::move(*fetched);
    result["metricsPath"] = path;
    result["httpStatus"] = metrics.status;
    if (metrics.status != 200) {
      err << "eppd scrape: " << path << " answered HTTP " << metrics.status << "\n";
      out << result.dump(2) << "\n";
      return 1;
    }
  } else {
    std::ifstream in(o.source, std::ios::binary);
    if (!in) {
      err << "eppd scrape: cannot read " << o.source << "\n";
      return 2;
    }
    std::ostringstream text;
    text << in.rdbuf();
    metrics.body = text.str();
  }
  result["bytes"] = metrics.body.size();
  auto parsed = adapter.parse(metrics.body, metrics.contentType);
  int code = 0;
  if (parsed) {
    result["state"] = stateJson(*parsed);
  } else {
    result["error"] = parsed.error();
    err << "eppd scrape: " << o.source << ": " << parsed.error() << "\n";
    code = 1;
  }
  if (url && !adapter.healthPath().empty()) {
    auto health = get(*url, adapter.healthPath(), o);
    result["health"] =
        health ? healthName(adapter.health(health->status, health->body)) : "unreachable";
  }
  out << result.dump(2) << "\n";
  return code;
}

}  // namespace epp::cli

#include "host/cli/scrape_command.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <sstream>

#include "host/runtime/config_loader.h"
#include "host/runtime/scrape_setup_builder.h"

namespace epp::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

struct Url {
  std::string host;
  std::string port;
  std::string path;  // empty: the adapter's
};

common::Result<Url> parseUrl(const std::string& text) {
  constexpr std::string_view kScheme = "http://";
  if (text.rfind("https://", 0) == 0) return common::Error{"https is not supported yet"};
  if (text.rfind(kScheme, 0) != 0) return common::Error{"not an http:// URL"};
  std::string rest = text.substr(kScheme.size());
  Url url;
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    url.path = rest.substr(slash);
    rest.resize(slash);
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || rest.back() == ']') {
    url.host = rest;
    url.port = "80";
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

// One blocking GET (a command-line tool: the scraper itself is asynchronous).
common::Result<Fetched> get(const Url& url, const std::string& path, double timeoutSeconds) {
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(static_cast<int64_t>(timeoutSeconds * 1000)));
    stream.connect(tcp::resolver(io).resolve(url.host, url.port));
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
  } catch (const std::exception& e) {
    return common::Error{"GET http://" + url.host + ":" + url.port + path + ": " + e.what()};
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
  cmd->add_option("source", o.source, "http://host:port[/path] or a file")->required();
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
    auto fetched = get(*url, path, o.timeoutSeconds);
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
    auto health = get(*url, adapter.healthPath(), o.timeoutSeconds);
    result["health"] =
        health ? healthName(adapter.health(health->status, health->body)) : "unreachable";
  }
  out << result.dump(2) << "\n";
  return code;
}

}  // namespace epp::cli

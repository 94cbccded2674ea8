#include "tools/scenarios/harness.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/upstream_http.h"
#include "tests/integration/wait_until.h"
#include "tools/scenarios/config_ports.h"
#include "tools/scenarios/explain.h"

namespace epp::scenarios {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string modelOf(const std::string& body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("model") && doc["model"].is_string()) {
    return doc["model"].get<std::string>();
  }
  // An SSE answer: the first data line that names a model.
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("data: {", 0) != 0) continue;
    json chunk = json::parse(line.substr(6), nullptr, false);
    if (chunk.is_object() && chunk.contains("model")) return chunk["model"].get<std::string>();
  }
  return "";
}

}  // namespace

std::string chatBody(const std::string& model, const std::string& prompt, int maxTokens) {
  return json({{"model", model},
               {"messages", {{{"role", "user"}, {"content", prompt}}}},
               {"max_tokens", maxTokens}})
      .dump();
}

std::string percent(double part, double whole) {
  return whole > 0 ? fmt::format("{:.0f}%", 100.0 * part / whole) : "-";
}

// ---- Stage ------------------------------------------------------------------------------

Stage::Stage(const Options& options, const std::string& scenario, std::vector<SimGroup> fleet)
    : options_(options) {
  std::string pattern = (fs::temp_directory_path() / ("eppd-scenario-XXXXXX")).string();
  dir_ = ::mkdtemp(pattern.data());
  const fs::path configPath = options.configsDir / (scenario + ".yaml");
  const std::string config = readFile(configPath);
  if (config.empty()) {
    error_ = "cannot read " + configPath.string();
    return;
  }
  std::vector<int> ports;
  for (const SimGroup& group : fleet) {
    sims_.push_back(std::make_unique<testing::SimProcess>(dir_, group.count, group.flags));
    const auto& got = sims_.back()->ports();
    if (got.size() != static_cast<size_t>(group.count)) {
      error_ = "eppd-sim did not start: " + sims_.back()->log();
      return;
    }
    ports.insert(ports.end(), got.begin(), got.end());
  }
  auto moved = withEndpointPorts(config, ports);
  if (!moved) {
    error_ = configPath.string() + ": " + moved.error();
    return;
  }
  eppd_ = std::make_unique<testing::EppdProcess>(*moved);
  if (!eppd_->started()) {
    error_ = eppd_->error();
    return;
  }
  client_ = std::make_unique<testing::EnvoyClient>(eppd_->extprocTarget());

  // Ready once every server has been scraped; the names are the config's.
  json endpoints;
  bool scraped = testing::waitUntil(
      [&] {
        endpoints = admin("/endpoints");
        if (!endpoints.contains("endpoints") || endpoints["endpoints"].size() != ports.size()) {
          return false;
        }
        for (const auto& e : endpoints["endpoints"]) {
          if (e["metrics"].is_null()) return false;
        }
        return true;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(20));
  if (!scraped) {
    error_ = "eppd did not scrape every simulated server within 10 s: " + endpoints.dump();
    return;
  }
  std::map<int, std::string> byPort;
  for (const auto& e : endpoints["endpoints"]) {
    byPort[e["port"].get<int>()] = e["name"].get<std::string>();
    namesByHostPort_[e["endpoint"].get<std::string>()] = e["name"].get<std::string>();
  }
  for (int p : ports) {
    names_.push_back(byPort[p]);
    ports_[byPort[p]] = p;
  }
}

Stage::~Stage() {
  client_.reset();
  eppd_.reset();
  sims_.clear();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

int Stage::port(const std::string& name) const {
  auto it = ports_.find(name);
  return it == ports_.end() ? 0 : it->second;
}

std::string Stage::nameOf(const std::string& hostPort) const {
  auto it = namesByHostPort_.find(hostPort);
  return it == namesByHostPort_.end() ? hostPort : it->second;
}

Outcome Stage::send(const Request& request) {
  testing::RequestSpec spec;
  spec.body = chatBody(request.model, request.prompt, request.maxTokens);
  spec.headers = {{"x-request-id", request.id}};
  spec.headers.insert(spec.headers.end(), request.headers.begin(), request.headers.end());
  spec.timeout = request.timeout;
  int upstreamStatus = 0;
  spec.upstream = [&](const testing::RequestResult& routed) {
    testing::UpstreamAnswer answer =
        testing::postUpstream(testing::destinationPort(routed.destination), "/v1/chat/completions",
                              routed.upstreamBody, {{"x-request-id", request.id}});
    upstreamStatus = answer.status;
    return std::optional<testing::ResponseSpec>(testing::responseOf(answer));
  };
  const Clock::time_point start = Clock::now();
  testing::RequestResult r = client_->process(spec);
  Outcome out;
  out.id = request.id;
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.violations = r.violations;
  if (r.immediate) {
    out.status = r.immediateStatus;
    out.error = r.immediateBody;
    return out;
  }
  if (!r.routed) {
    out.error = "no answer from eppd: " + r.status.error_message();
    return out;
  }
  out.status = upstreamStatus;
  out.endpoint = nameOf(r.destination);
  out.upstreamModel = modelOf(r.upstreamBody);
  std::string answer;
  for (const auto& chunk : r.echoedResponseChunks) answer += chunk;
  out.clientModel = modelOf(answer);
  return out;
}

json Stage::admin(const std::string& path) {
  return json::parse(testing::httpRequest(eppd_->adminPort(), "GET", path).body, nullptr, false);
}

json Stage::decision(const std::string& requestId) {
  json found;
  // A request's decision is kept when eppd answers it; polled in case the client saw the
  // answer first.
  testing::waitUntil(
      [&] {
        json doc = admin("/decisions?n=1000");
        if (!doc.contains("decisions")) return false;
        for (const auto& d : doc["decisions"]) {
          if (d.value("requestId", "") == requestId) {
            found = d;
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(2), std::chrono::milliseconds(20));
  return found;
}

std::string Stage::explain(const std::string& requestId, size_t maxRows) {
  json d = decision(requestId);
  if (d.is_null()) return "    (no decision recorded for " + requestId + ")\n";
  return explainEntry(d, maxRows);
}

std::string Stage::explainEntry(const json& d, size_t maxRows) {
  ExplainOptions o;
  o.names = namesByHostPort_;
  o.poolSize = names_.size();
  o.maxRows = maxRows;
  return explainDecision(d, o);
}

bool Stage::waitForEndpoints(const std::function<bool(const json&)>& done,
                             std::chrono::milliseconds timeout) {
  return testing::waitUntil(
      [&] {
        json doc = admin("/endpoints");
        return doc.contains("endpoints") && done(doc);
      },
      timeout, std::chrono::milliseconds(20));
}

bool Stage::waitIdle() {
  return waitForEndpoints(
      [](const json& doc) {
        for (const auto& e : doc["endpoints"]) {
          if (e.value("inflight", 0) != 0) return false;
        }
        return true;
      },
      std::chrono::seconds(2));
}

double Stage::metric(const std::string& sample) const { return eppd_->metric(sample); }

double Stage::awaitMetric(const std::string& sample, double value) const {
  return eppd_->awaitMetric(sample, value);
}

// ---- HeldRequests -----------------------------------------------------------------------

bool HeldRequests::add(int port, const std::string& model, int count, int maxTokens) {
  // Streamed, so a closed connection is noticed at the next token and the request cancelled.
  nlohmann::json doc =
      nlohmann::json::parse(chatBody(model, "background work for " + model, maxTokens));
  doc["stream"] = true;
  const std::string body = doc.dump();
  const std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
      ::close(fd);
      return false;
    }
    sockets_.emplace(port, fd);
  }
  return true;
}

void HeldRequests::release(int port) {
  auto [from, to] = sockets_.equal_range(port);
  for (auto it = from; it != to; ++it) ::close(it->second);
  sockets_.erase(from, to);
}

HeldRequests::~HeldRequests() {
  for (const auto& [port, fd] : sockets_) ::close(fd);
}

}  // namespace epp::scenarios

namespace epp::scenarios {

using nlohmann::json;

std::string endpointTable(const json& endpoints, const std::vector<std::string>& labels,
                          bool loras) {
  const std::string indent = "    ";
  size_t width = 8;
  for (const auto& e : endpoints["endpoints"]) {
    width = std::max(width, e["name"].get<std::string>().size());
  }
  std::string out;
  for (const auto& e : endpoints["endpoints"]) {
    std::string line = fmt::format("{}{:<{}}", indent, e["name"].get<std::string>(), width);
    for (const auto& key : labels) {
      std::string value = e["labels"].value(key, "-");
      std::string shortKey = key.substr(key.find('/') + 1);
      line += fmt::format("  {} {:<5}", shortKey, value);
    }
    const json& m = e["metrics"];
    if (m.is_null()) {
      out += line + "  (no metrics yet)\n";
      continue;
    }
    line += fmt::format("  running {:>2}  waiting {:>2}  kv {:>3.0f}%", m["running"].get<int>(),
                        m["waiting"].get<int>(), 100 * m["kvCacheUsage"].get<double>());
    if (loras) {
      std::string active;
      for (const auto& a : m["activeLoras"])
        active += (active.empty() ? "" : ",") + a.get<std::string>();
      line += fmt::format("  adapters [{}] in {} slot{}", active, m["maxLoras"].get<int>(),
                          m["maxLoras"].get<int>() == 1 ? "" : "s");
    }
    out += line + "\n";
  }
  return out;
}

std::string tally(const std::map<std::string, int>& counts, const std::vector<std::string>& order) {
  std::string out;
  for (const auto& name : order) {
    auto it = counts.find(name);
    if (it == counts.end() || it->second == 0) continue;
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", name, it->second);
  }
  for (const auto& [name, n] : counts) {  // outcomes not in `order` ("refused")
    if (std::find(order.begin(), order.end(), name) == order.end() && n > 0) {
      out += fmt::format("{}{} {}", out.empty() ? "" : ", ", name, n);
    }
  }
  return out.empty() ? "none" : out;
}

json endpointNamed(const json& endpoints, const std::string& name) {
  for (const auto& e : endpoints["endpoints"]) {
    if (e["name"] == name) return e;
  }
  return json();
}

bool hasActiveLora(const json& endpoint, const std::string& adapter) {
  if (endpoint.is_null() || endpoint["metrics"].is_null()) return false;
  for (const auto& a : endpoint["metrics"]["activeLoras"]) {
    if (a == adapter) return true;
  }
  return false;
}

}  // namespace epp::scenarios

#include "host/admin/admin_server.h"

#include <CivetServer.h>
#include <prometheus/counter.h>

#include <cstdlib>

#include "host/admin/admin_json.h"
#include "host/common/clock.h"
#include "host/common/logging.h"
#include "host/common/metrics_registry.h"

namespace epp::admin {
namespace {

using nlohmann::json;

void reply(mg_connection* conn, int status, const json& body) {
  std::string text = body.dump(2) + "\n";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            status, mg_get_response_code_text(conn, status), text.size());
  mg_write(conn, text.data(), text.size());
}

// One GET endpoint rendering a JSON document.
class JsonGet : public CivetHandler {
 public:
  explicit JsonGet(std::function<json(mg_connection*)> render) : render_(std::move(render)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    try {
      reply(conn, 200, render_(conn));
    } catch (const std::exception& e) {
      reply(conn, 500, {{"error", e.what()}});
    }
    return true;
  }

 private:
  std::function<json(mg_connection*)> render_;
};

class EndpointStatePost : public CivetHandler {
 public:
  explicit EndpointStatePost(datalayer::EndpointStore& store) : store_(store) {}
  bool handlePost(CivetServer*, mg_connection* conn) override {
    constexpr size_t kMaxBody = 1 << 20;
    std::string body;
    char buf[8192];
    int n = 0;
    while ((n = mg_read(conn, buf, sizeof buf)) > 0 && body.size() < kMaxBody) body.append(buf, n);
    json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded()) {
      reply(conn, 400, {{"error", "body is not valid JSON"}});
      return true;
    }
    common::Status status = common::Error{""};
    int64_t now = common::monotonicNowNs();
    store_.update([&](std::vector<datalayer::EndpointState>& states) {
      status = applyEndpointState(doc, states, now);
      return status.ok();
    });
    if (!status) {
      reply(conn, 400, {{"error", status.error()}});
    } else {
      reply(conn, 200, {{"ok", true}});
    }
    return true;
  }

 private:
  datalayer::EndpointStore& store_;
};

class ReloadPost : public CivetHandler {
 public:
  explicit ReloadPost(std::function<runtime::ReloadOutcome()> reload)
      : reload_(std::move(reload)) {}
  bool handlePost(CivetServer*, mg_connection* conn) override {
    runtime::ReloadOutcome outcome = reload_();
    reply(conn, outcome.result == "failure" ? 422 : 200, reloadJson(outcome));
    return true;
  }

 private:
  std::function<runtime::ReloadOutcome()> reload_;
};

size_t queryCount(mg_connection* conn, size_t fallback) {
  const mg_request_info* info = mg_get_request_info(conn);
  char value[32];
  if (info->query_string != nullptr &&
      mg_get_var(info->query_string, std::strlen(info->query_string), "n", value, sizeof value) >
          0) {
    long n = std::strtol(value, nullptr, 10);
    if (n > 0) return static_cast<size_t>(n);
  }
  return fallback;
}

prometheus::Family<prometheus::Counter>& unauthorizedFamily() {
  static auto& family = []() -> prometheus::Family<prometheus::Counter>& {
    auto& f = prometheus::BuildCounter()
                  .Name("eppd_admin_unauthorized_requests_total")
                  .Help(
                      "Admin requests refused with 401: bearer token missing, invalid, or "
                      "the token file unavailable")
                  .Register(common::metricsRegistry());
    for (const char* reason : {"missing", "invalid", "unavailable"}) f.Add({{"reason", reason}});
    return f;
  }();
  return family;
}

}  // namespace

// Runs before every handler (the "**" pattern matches every path, unknown ones too).
class AdminServer::TokenCheck : public CivetAuthHandler {
 public:
  explicit TokenCheck(std::shared_ptr<AdminToken> token) : token_(std::move(token)) {
    unauthorizedFamily();
  }
  bool authorize(CivetServer*, mg_connection* conn) override {
    AdminToken::Verdict verdict = token_->check(mg_get_header(conn, "Authorization"));
    if (verdict == AdminToken::Verdict::kAllowed) return true;
    const mg_request_info* info = mg_get_request_info(conn);
    const char* reason = AdminToken::reason(verdict);
    unauthorizedFamily().Add({{"reason", reason}}).Increment();
    common::logger()->warn("admin: 401 for {} {} from {}: bearer token {}", info->request_method,
                           info->local_uri != nullptr ? info->local_uri : "", info->remote_addr,
                           reason);
    std::string text = json{{"error", std::string("unauthorized: bearer token ") + reason}}.dump();
    text += "\n";
    mg_printf(conn,
              "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"eppd-admin\"\r\n"
              "Content-Type: application/json\r\nContent-Length: %zu\r\n"
              "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
              text.size());
    mg_write(conn, text.data(), text.size());
    return false;
  }

 private:
  std::shared_ptr<AdminToken> token_;
};

struct AdminServer::Handlers {
  std::unique_ptr<JsonGet> config, plugins, endpoints, decisions, flowControl;
  std::unique_ptr<EndpointStatePost> endpointState;
  std::unique_ptr<ReloadPost> reload;
};

AdminServer::~AdminServer() {
  server_.reset();  // stops the worker threads before the handlers go
}

common::Result<std::unique_ptr<AdminServer>> AdminServer::start(const std::string& address,
                                                                int port, AdminSources src,
                                                                std::shared_ptr<AdminToken> token) {
  std::unique_ptr<AdminServer> admin(new AdminServer());
  std::string listen = (address.find(':') != std::string::npos ? "[" + address + "]" : address) +
                       ":" + std::to_string(port);
  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", "2", nullptr};
  try {
    admin->server_ = std::make_unique<CivetServer>(options);
  } catch (const CivetException& e) {
    return common::Error{"admin: cannot listen on " + listen + ": " + e.what()};
  }
  auto ports = admin->server_->getListeningPorts();
  admin->port_ = ports.empty() ? port : ports.front();
  if (token) {
    admin->tokenCheck_ = std::make_unique<TokenCheck>(std::move(token));
    admin->server_->addAuthHandler("**", admin->tokenCheck_.get());
  }

  auto h = std::make_unique<Handlers>();
  auto live = [src] {
    return src.liveSnapshots ? src.liveSnapshots() : std::vector<runtime::ConfigSnapshotPtr>{};
  };
  h->config = std::make_unique<JsonGet>([src, live](mg_connection*) {
    auto last = src.lastReload ? src.lastReload() : std::nullopt;
    return configJson(*src.config(), last, live());
  });
  h->plugins = std::make_unique<JsonGet>([src, live](mg_connection*) {
    auto registry = src.registry();
    return pluginsJson(*src.config(), *registry, live());
  });
  h->endpoints = std::make_unique<JsonGet>([src](mg_connection*) {
    return endpointsJson(*src.endpoints->current(), common::monotonicNowNs());
  });
  h->decisions = std::make_unique<JsonGet>([src](mg_connection* conn) {
    json out = json::array();
    for (const auto& r : src.decisions->last(queryCount(conn, 20))) out.push_back(decisionJson(r));
    return json{{"decisions", out}};
  });
  h->endpointState = std::make_unique<EndpointStatePost>(*src.endpoints);
  admin->server_->addHandler("/config", h->config.get());
  admin->server_->addHandler("/plugins", h->plugins.get());
  admin->server_->addHandler("/endpoints$", h->endpoints.get());
  admin->server_->addHandler("/endpoints/state", h->endpointState.get());
  admin->server_->addHandler("/decisions", h->decisions.get());
  if (src.flowControl) {
    h->flowControl = std::make_unique<JsonGet>([src](mg_connection*) {
      return flowControlJson(src.config()->flowControl, src.flowControl());
    });
    admin->server_->addHandler("/flowcontrol", h->flowControl.get());
  }
  if (src.reload) {
    h->reload = std::make_unique<ReloadPost>(src.reload);
    admin->server_->addHandler("/reload", h->reload.get());
  }
  admin->handlers_ = std::move(h);
  return admin;
}

}  // namespace epp::admin

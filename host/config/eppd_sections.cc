// eppd's own sections: pluginDirs, pluginPins, pluginSha256, endpoints, endpointSources,
// objectives, server, scraping; and the endpoint list file of the `file` endpoint source.
// (`routing` is in routing_parse.cc.)
#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/config/sections.h"

namespace epp::config::sections {
namespace {

inline constexpr std::string_view kRoleLabel = "llm-d.ai/role";
// The reference's pod label naming an endpoint's engine (its backend adapter).
inline constexpr std::string_view kEngineLabel = "inference.networking.k8s.io/engine-type";

bool isIpv4(const std::string& text) {
  in_addr addr{};
  return ::inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

bool isIpv6(const std::string& text) {
  in6_addr addr{};
  return ::inet_pton(AF_INET6, text.c_str(), &addr) == 1;
}

// Reports what is wrong with `text` as an IP literal, or returns true.
bool checkIpLiteral(Diagnostics& diag, const Field& field, const std::string& text) {
  if (isIpv4(text) || isIpv6(text)) return true;
  std::string hint;
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    hint = "; write IPv6 addresses without brackets";
  } else {
    hint = "; host names are not resolved here";
  }
  diag.error(field.where,
             fmt::format("{}: '{}' is not an IPv4 or IPv6 address{}", field.name(), text, hint));
  return false;
}

std::optional<EndpointSpec> readEndpoint(Diagnostics& diag, const Field& item) {
  MapReader map(diag, item,
                {"address", "port", "name", "engine", "role", "pool", "labels", "scrape"});
  if (!map.isMap()) return std::nullopt;
  EndpointSpec endpoint;
  endpoint.where = item.where;
  bool ok = true;
  if (auto f = map.required("address")) {
    auto text = readString(diag, *f);
    ok = text && checkIpLiteral(diag, *f, *text) && ok;
    if (text) endpoint.address = *text;
    endpoint.where = f->where;
  } else {
    ok = false;
  }
  if (auto f = map.required("port")) {
    auto port = readInt(diag, *f, 1, 65535);
    ok = port.has_value() && ok;
    if (port) endpoint.port = static_cast<uint32_t>(*port);
  } else {
    ok = false;
  }
  if (!ok) return std::nullopt;
  endpoint.name = isIpv6(endpoint.address) ? fmt::format("[{}]:{}", endpoint.address, endpoint.port)
                                           : fmt::format("{}:{}", endpoint.address, endpoint.port);
  if (auto f = map.get("name")) {
    if (auto text = readString(diag, *f)) endpoint.name = *text;
  }
  if (auto f = map.get("scrape")) {
    if (auto on = readBool(diag, *f)) endpoint.scrape = *on;
  }
  if (auto f = map.get("pool")) {
    if (auto text = readString(diag, *f)) endpoint.pool = *text;
  }
  if (auto f = map.get("labels")) {
    for (auto& [key, value] : readStringMap(diag, *f)) endpoint.labels[key] = value;
  }
  // `engine` and the engine-type label: as for role, either may be written, not two values.
  auto engineLabel = endpoint.labels.find(std::string(kEngineLabel));
  if (auto f = map.get("engine")) {
    if (auto text = readString(diag, *f)) {
      endpoint.engine = *text;
      if (engineLabel != endpoint.labels.end() && engineLabel->second != *text) {
        diag.error(f->where, fmt::format("{}: engine '{}' contradicts label {}: '{}'", f->name(),
                                         *text, kEngineLabel, engineLabel->second));
      }
    }
  } else if (engineLabel != endpoint.labels.end() && !engineLabel->second.empty()) {
    endpoint.engine = engineLabel->second;
  }
  auto label = endpoint.labels.find(std::string(kRoleLabel));
  if (auto f = map.get("role")) {
    if (auto text = readString(diag, *f)) {
      endpoint.role = *text;
      if (label == endpoint.labels.end()) {
        endpoint.labels[std::string(kRoleLabel)] = *text;
      } else if (label->second != *text) {
        diag.error(f->where, fmt::format("{}: role '{}' contradicts label {}: '{}'", f->name(),
                                         *text, kRoleLabel, label->second));
      }
    }
  } else if (label != endpoint.labels.end()) {
    endpoint.role = label->second;
  }
  return endpoint;
}

}  // namespace

void parsePluginDirs(Diagnostics& diag, const Field& field, PickerConfig& config) {
  config.pluginDirs = readStringList(diag, field);
}

void parsePluginPins(Diagnostics& diag, const Field& field, PickerConfig& config) {
  for (const MapEntry& entry : readMap(diag, field, /*nullIsEmpty=*/true)) {
    if (entry.key.empty()) {
      diag.error(entry.keyWhere, field.name() + ": plugin type must not be empty");
      continue;
    }
    if (auto library = readString(diag, entry.value)) config.pluginPins[entry.key] = *library;
  }
}

void parsePluginSha256(Diagnostics& diag, const Field& field, PickerConfig& config) {
  for (const MapEntry& entry : readMap(diag, field, /*nullIsEmpty=*/true)) {
    const std::string& file = entry.key;
    if (file.empty() || file.back() == '/' ||
        (file.find('/') != std::string::npos && file.front() != '/')) {
      diag.error(entry.keyWhere,
                 fmt::format("{}: '{}' is neither a plugin file name nor an absolute path",
                             field.name(), file));
      continue;
    }
    auto text = readString(diag, entry.value);
    if (!text) continue;
    std::string hex = *text;
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    bool valid = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                   return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                 });
    if (!valid) {
      diag.error(entry.value.where,
                 fmt::format("{}: expected 64 hex digits (a SHA-256, as sha256sum prints it), "
                             "got '{}'",
                             entry.value.name(), *text));
      continue;
    }
    config.pluginSha256[file] = hex;
  }
}

void parseEndpoints(Diagnostics& diag, const Field& field, PickerConfig& config) {
  std::unordered_map<std::string, int> byAddress;  // "address port" -> line
  std::unordered_map<std::string, int> byName;
  for (const Field& item : readList(diag, field, /*nullIsEmpty=*/true)) {
    auto endpoint = readEndpoint(diag, item);
    if (!endpoint) continue;
    std::string key = fmt::format("{} {}", endpoint->address, endpoint->port);
    if (auto it = byAddress.find(key); it != byAddress.end()) {
      diag.error(endpoint->where,
                 fmt::format("{}: endpoint {}:{} is listed twice (first at line {})", item.name(),
                             endpoint->address, endpoint->port, it->second));
      continue;
    }
    if (auto it = byName.find(endpoint->name); it != byName.end()) {
      diag.error(endpoint->where,
                 fmt::format("{}: endpoint name '{}' is used twice (first at line {})", item.name(),
                             endpoint->name, it->second));
      continue;
    }
    byAddress.emplace(key, endpoint->where.line);
    byName.emplace(endpoint->name, endpoint->where.line);
    config.endpoints.push_back(std::move(*endpoint));
  }
}

namespace {

std::optional<EndpointSourceSpec> readFileSource(Diagnostics& diag, const Field& field) {
  MapReader map(diag, field, {"path"});
  if (!map.isMap()) return std::nullopt;
  auto f = map.required("path");
  if (!f) return std::nullopt;
  auto path = readString(diag, *f);
  if (!path) return std::nullopt;
  EndpointSourceSpec spec;
  spec.kind = EndpointSourceSpec::Kind::kFile;
  spec.path = *path;
  spec.where = f->where;
  return spec;
}

// The attributes a source gives every endpoint it finds (engine, role, pool, labels,
// scrape), read as an `endpoints:` entry would be, with a stand-in address and port, so
// their rules (role and engine labels) are the same.
std::optional<EndpointSpec> readSourceAttributes(Diagnostics& diag, const Field& field,
                                                 const MapReader& map) {
  YAML::Node attributes(YAML::NodeType::Map);
  for (const MapEntry& entry : map.entries()) {
    if (entry.key == "engine" || entry.key == "role" || entry.key == "pool" ||
        entry.key == "labels" || entry.key == "scrape") {
      attributes[entry.key] = entry.value.node;
    }
  }
  attributes["address"] = "0.0.0.0";
  attributes["port"] = 1;
  Field standIn{attributes, field.where, field.path};
  return readEndpoint(diag, standIn);
}

std::optional<EndpointSourceSpec> readDnsSource(Diagnostics& diag, const Field& field) {
  MapReader map(diag, field,
                {"name", "port", "interval", "engine", "role", "pool", "labels", "scrape"});
  if (!map.isMap()) return std::nullopt;
  EndpointSourceSpec spec;
  spec.kind = EndpointSourceSpec::Kind::kDns;
  bool ok = true;
  if (auto f = map.required("name")) {
    auto host = readString(diag, *f);
    ok = host.has_value();
    if (host) spec.host = *host;
    spec.where = f->where;
  } else {
    ok = false;
  }
  if (auto f = map.required("port")) {
    auto port = readInt(diag, *f, 1, 65535);
    ok = port.has_value() && ok;
    if (port) spec.port = static_cast<uint32_t>(*port);
  } else {
    ok = false;
  }
  if (auto f = map.get("interval")) {
    auto ns = readDurationNs(diag, *f);
    if (ns && *ns < 100'000'000) {
      diag.error(f->where, fmt::format("{}: must be at least 100ms", f->name()));
      ok = false;
    } else if (ns) {
      spec.intervalNs = *ns;
    } else {
      ok = false;
    }
  }
  auto endpoint = readSourceAttributes(diag, field, map);
  if (!endpoint || !ok) return std::nullopt;
  spec.attributes = std::move(*endpoint);
  return spec;
}

// A label name or value as Kubernetes accepts them: at most 63 characters, alphanumerics
// with '-', '_' and '.' inside. (A value may be empty; a name may carry a DNS prefix.)
bool isLabelPart(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(text.front()) || !alnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// A namespace name: an RFC 1123 label (lower-case alphanumerics and '-', at most 63).
bool isDnsLabel(std::string_view text) {
  auto lowerAlnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return !text.empty() && text.size() <= 63 && lowerAlnum(text.front()) &&
         lowerAlnum(text.back()) &&
         std::all_of(text.begin(), text.end(), [&](char c) { return lowerAlnum(c) || c == '-'; });
}

bool isLabelName(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return isLabelPart(key);
  std::string_view prefix = key.substr(0, slash);
  bool prefixOk = !prefix.empty() && prefix.size() <= 253 &&
                  std::all_of(prefix.begin(), prefix.end(), [](char c) {
                    return std::islower(static_cast<unsigned char>(c)) ||
                           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
                  });
  return prefixOk && isLabelPart(key.substr(slash + 1));
}

// "http(s)://host[:port]" (IPv6 host in brackets) into the spec; reports what is wrong.
bool readApiServer(Diagnostics& diag, const Field& f, const std::string& text,
                   KubernetesSourceSpec& spec) {
  auto fail = [&](std::string_view why) {
    diag.error(f.where,
               fmt::format("{}: '{}' {} (expected https://HOST[:PORT])", f.name(), text, why));
    return false;
  };
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    spec.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    spec.tls = false;
    rest.remove_prefix(7);
  } else {
    return fail("has no http:// or https:// scheme");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return fail("must not have a path, query or user");
  }
  std::string_view port;
  bool hasPort = false;
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail("has an unclosed '['");
    spec.apiHost = std::string(rest.substr(1, close - 1));
    if (!isIpv6(spec.apiHost)) return fail("has a bracketed host that is not an IPv6 address");
    std::string_view after = rest.substr(close + 1);
    if (!after.empty() && after.front() != ':') return fail("has text after ']'");
    hasPort = !after.empty();
    if (hasPort) port = after.substr(1);
  } else {
    size_t colon = rest.rfind(':');
    spec.apiHost = std::string(rest.substr(0, colon));
    hasPort = colon != std::string_view::npos;
    if (hasPort) port = rest.substr(colon + 1);
    if (spec.apiHost.find(':') != std::string::npos) return fail("needs brackets around IPv6");
  }
  if (spec.apiHost.empty()) return fail("has no host");
  spec.apiPort = spec.tls ? 443 : 80;
  if (hasPort) {
    uint32_t n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || n < 1 || n > 65535) {
      return fail("has a bad port");
    }
    spec.apiPort = n;
  }
  return true;
}

std::optional<EndpointSourceSpec> readKubernetesSource(Diagnostics& diag, const Field& field) {
  static const std::vector<std::string_view> kKnown = {
      "namespace", "labelSelector", "targetPorts", "resource", "apiServer", "tokenFile",
      "caFile",    "engine",        "role",        "pool",     "labels",    "scrape"};
  MapReader map(diag, field, kKnown);
  if (!map.isMap()) return std::nullopt;
  EndpointSourceSpec spec;
  spec.kind = EndpointSourceSpec::Kind::kKubernetes;
  spec.where = field.where;
  KubernetesSourceSpec& k = spec.kubernetes;
  bool ok = true;
  if (auto f = map.required("namespace")) {
    auto ns = readString(diag, *f);
    ok = ns.has_value();
    if (ns && !isDnsLabel(*ns)) {
      diag.error(f->where, fmt::format("{}: '{}' is not a namespace name", f->name(), *ns));
      ok = false;
    }
    if (ns) k.ns = *ns;
    spec.where = f->where;
  } else {
    ok = false;
  }
  if (auto f = map.get("labelSelector")) {
    if (f->node.IsMap()) {
      std::vector<std::string> terms;
      for (auto& [key, value] : readStringMap(diag, *f)) {
        if (!isLabelName(key) || (!value.empty() && !isLabelPart(value))) {
          diag.error(f->where,
                     fmt::format("{}: '{}: {}' is not a valid label", f->name(), key, value));
          ok = false;
          continue;
        }
        terms.push_back(key + "=" + value);
      }
      std::sort(terms.begin(), terms.end());
      for (const auto& term : terms) k.labelSelector += (k.labelSelector.empty() ? "" : ",") + term;
    } else if (auto text = readString(diag, *f)) {
      k.labelSelector = *text;
    } else {
      ok = false;
    }
  }
  if (auto f = map.get("resource")) {
    auto text = readString(diag, *f);
    if (text == "pods") {
      k.resource = KubernetesSourceSpec::Resource::kPods;
    } else if (text == "endpointslices") {
      k.resource = KubernetesSourceSpec::Resource::kEndpointSlices;
    } else {
      if (text) {
        diag.error(f->where,
                   fmt::format("{}: '{}' is not pods or endpointslices", f->name(), *text));
      }
      ok = false;
    }
  }
  bool pods = k.resource == KubernetesSourceSpec::Resource::kPods;
  auto ports = pods ? map.required("targetPorts") : map.get("targetPorts");
  if (ports) {
    auto items = readList(diag, *ports);
    if (items.empty() || items.size() > 8) {
      diag.error(ports->where,
                 fmt::format("{}: list 1 to 8 ports, not {}", ports->name(), items.size()));
      ok = false;
    }
    for (const Field& item : items) {
      auto port = readInt(diag, item, 1, 65535);
      if (!port) {
        ok = false;
        continue;
      }
      if (std::find(k.targetPorts.begin(), k.targetPorts.end(), *port) != k.targetPorts.end()) {
        diag.error(item.where, fmt::format("{}: port {} is listed twice", item.name(), *port));
        ok = false;
        continue;
      }
      k.targetPorts.push_back(static_cast<uint32_t>(*port));
    }
  } else if (pods) {
    ok = false;
  }
  if (auto f = map.get("apiServer")) {
    auto text = readString(diag, *f);
    ok = text && readApiServer(diag, *f, *text, k) && ok;
    if (text) k.apiServer = *text;
    // A plain-HTTP server (`kubectl proxy`) authenticates for eppd; no token by default.
    if (!k.tls) k.tokenFile.clear();
  }
  if (auto f = map.get("tokenFile")) {
    auto text = readString(diag, *f, /*allowEmpty=*/true);
    if (text) k.tokenFile = *text;
    ok = text.has_value() && ok;
  }
  if (auto f = map.get("caFile")) {
    auto text = readString(diag, *f);
    if (text) k.caFile = *text;
    ok = text.has_value() && ok;
  }
  auto endpoint = readSourceAttributes(diag, field, map);
  if (!endpoint || !ok) return std::nullopt;
  spec.attributes = std::move(*endpoint);
  return spec;
}

}  // namespace

void parseEndpointSources(Diagnostics& diag, const Field& field, PickerConfig& config) {
  std::unordered_map<std::string, int> byKey;  // key -> line
  for (const Field& item : readList(diag, field, /*nullIsEmpty=*/true)) {
    MapReader map(diag, item, {"file", "dns", "kubernetes"});
    if (!map.isMap()) continue;
    if (map.entries().size() != 1) {
      diag.error(item.where,
                 fmt::format("{}: write exactly one of file, dns or kubernetes", item.name()));
      continue;
    }
    const MapEntry& entry = map.entries().front();
    auto spec = entry.key == "file"  ? readFileSource(diag, entry.value)
                : entry.key == "dns" ? readDnsSource(diag, entry.value)
                                     : readKubernetesSource(diag, entry.value);
    if (!spec) continue;
    if (auto it = byKey.find(spec->key()); it != byKey.end()) {
      diag.error(spec->where,
                 fmt::format("{}: endpoint source {} is listed twice (first at line {})",
                             item.name(), spec->key(), it->second));
      continue;
    }
    byKey.emplace(spec->key(), spec->where.line);
    config.endpointSources.push_back(std::move(*spec));
  }
}

void parseObjectives(Diagnostics& diag, const Field& field, PickerConfig& config) {
  std::unordered_map<std::string, int> byName;  // name -> line
  for (const Field& item : readList(diag, field, /*nullIsEmpty=*/true)) {
    MapReader map(diag, item, {"name", "priority"});
    if (!map.isMap()) continue;
    ObjectiveSpec objective;
    objective.where = item.where;
    if (auto f = map.required("name")) {
      auto text = readString(diag, *f);
      if (!text) continue;
      objective.name = *text;
      objective.where = f->where;
    } else {
      continue;
    }
    if (auto f = map.get("priority")) {
      auto priority = readInt(diag, *f, std::numeric_limits<int32_t>::min(),
                              std::numeric_limits<int32_t>::max());
      if (!priority) continue;
      objective.priority = static_cast<int32_t>(*priority);
    }
    if (auto it = byName.find(objective.name); it != byName.end()) {
      diag.error(objective.where,
                 fmt::format("{}: objective '{}' is listed twice (first at line {})", item.name(),
                             objective.name, it->second));
      continue;
    }
    byName.emplace(objective.name, objective.where.line);
    config.objectives.push_back(std::move(objective));
  }
}

namespace {

void parseTls(Diagnostics& diag, const Field& field, TlsSpec& tls) {
  MapReader map(diag, field, {"certFile", "keyFile", "clientCaFile", "refreshInterval"},
                /*nullIsEmpty=*/true);
  if (!map.isMap() || field.isNull()) return;
  auto file = [&](std::string_view key, std::string& target, bool required) {
    auto f = required ? map.required(key) : map.get(key);
    if (!f) return;
    if (auto text = readString(diag, *f)) target = *text;
  };
  file("certFile", tls.certFile, true);
  file("keyFile", tls.keyFile, true);
  file("clientCaFile", tls.clientCaFile, false);
  if (auto f = map.get("refreshInterval")) {
    if (auto ns = readDurationNs(diag, *f)) {
      if (*ns < 1'000'000'000 || *ns > int64_t{3600} * 1'000'000'000) {
        diag.error(f->where, f->name() + ": must be between 1s and 1h");
      } else {
        // gRPC's file watcher counts whole seconds.
        tls.refreshIntervalNs = (*ns + 999'999'999) / 1'000'000'000 * 1'000'000'000;
      }
    }
  }
}

}  // namespace

void parseServer(Diagnostics& diag, const Field& field, PickerConfig& config) {
  MapReader server(
      diag, field,
      {"extprocPort", "healthPort", "metricsPort", "adminPort", "adminAddress", "metricsAddress",
       "decisionHistory", "maxRetainedSnapshots", "tls", "adminTokenFile", "adminToken",
       "maxRequestBodyBytes", "maxRequestHeaders", "maxRequestHeaderBytes"},
      /*nullIsEmpty=*/true);
  ServerSpec& spec = config.server;
  const std::array<std::pair<std::string_view, int*>, 4> ports = {{
      {"extprocPort", &spec.extprocPort},
      {"healthPort", &spec.healthPort},
      {"metricsPort", &spec.metricsPort},
      {"adminPort", &spec.adminPort},
  }};
  for (const auto& [key, target] : ports) {
    if (auto f = server.get(key)) {
      if (auto port = readInt(diag, *f, 0, 65535)) *target = static_cast<int>(*port);
    }
  }
  // Two listeners on one port cannot both start; 0 asks for a free port each time.
  for (size_t i = 0; i < ports.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (*ports[i].second == 0 || *ports[i].second != *ports[j].second) continue;
      auto f = server.get(ports[i].first);
      if (!f) f = server.get(ports[j].first);
      diag.error(f ? f->where : field.where,
                 fmt::format("server: {} and {} are both {}", ports[j].first, ports[i].first,
                             *ports[i].second));
    }
  }
  for (auto [key, target] :
       {std::pair<std::string_view, std::string*>{"adminAddress", &spec.adminAddress},
        {"metricsAddress", &spec.metricsAddress}}) {
    if (auto f = server.get(key)) {
      auto text = readString(diag, *f);
      if (text && checkIpLiteral(diag, *f, *text)) *target = *text;
    }
  }
  if (auto f = server.get("decisionHistory")) {
    if (auto n = readInt(diag, *f, 0, 100'000)) spec.decisionHistory = static_cast<int>(*n);
  }
  if (auto f = server.get("maxRetainedSnapshots")) {
    if (auto n = readInt(diag, *f, 1, 1000)) spec.maxRetainedSnapshots = static_cast<int>(*n);
  }
  if (auto f = server.get("tls")) parseTls(diag, *f, spec.tls);
  if (auto f = server.get("adminTokenFile")) {
    if (auto text = readString(diag, *f)) spec.adminTokenFile = *text;
  }
  if (auto f = server.get("adminToken")) {
    // The config is no place for a secret: it sits in ConfigMaps and repositories, and
    // its hash and contents travel through logs and the admin view.
    diag.error(f->where,
               "server.adminToken: a token is not accepted in the config; write it to a file "
               "readable only by eppd (a Kubernetes Secret volume) and set adminTokenFile");
  }
  auto bytes = [&](std::string_view key, int64_t min, int64_t max, int64_t& target) {
    auto f = server.get(key);
    if (!f) return;
    auto n = readBytes(diag, *f);
    if (!n) return;
    if (*n < min || *n > max) {
      diag.error(f->where, fmt::format("{}: must be between {} and {} bytes", f->name(), min, max));
      return;
    }
    target = *n;
  };
  bytes("maxRequestBodyBytes", 1, int64_t{1} << 30, spec.maxRequestBodyBytes);
  bytes("maxRequestHeaderBytes", 1024, int64_t{16} << 20, spec.maxRequestHeaderBytes);
  if (auto f = server.get("maxRequestHeaders")) {
    if (auto n = readInt(diag, *f, 1, 10'000)) spec.maxRequestHeaders = static_cast<int>(*n);
  }
}

void parseScraping(Diagnostics& diag, const Field& field, PickerConfig& config) {
  MapReader map(diag, field,
                {"enabled", "interval", "timeout", "healthInterval", "failureThreshold",
                 "stalenessThreshold", "maxBodySize", "scheme", "insecureSkipVerify", "caFile"},
                /*nullIsEmpty=*/true);
  ScrapingSpec& spec = config.scraping;
  if (auto f = map.get("enabled")) {
    if (auto on = readBool(diag, *f)) spec.enabled = *on;
  }
  auto duration = [&](std::string_view key, int64_t& target, int64_t minNs, const char* what) {
    auto f = map.get(key);
    if (!f) return;
    auto ns = readDurationNs(diag, *f);
    if (!ns) return;
    if (*ns < minNs) {
      diag.error(f->where, fmt::format("{}: must be {}", f->name(), what));
      return;
    }
    target = *ns;
  };
  duration("interval", spec.intervalNs, 1'000'000, "at least 1ms");
  duration("timeout", spec.timeoutNs, 1'000'000, "at least 1ms");
  duration("healthInterval", spec.healthIntervalNs, 0, "0 (no health probes) or more");
  duration("stalenessThreshold", spec.stalenessNs, 1'000'000, "at least 1ms");
  if (auto f = map.get("failureThreshold")) {
    if (auto n = readInt(diag, *f, 1, 1000)) spec.failureThreshold = static_cast<int>(*n);
  }
  if (auto f = map.get("scheme")) {
    if (auto text = readString(diag, *f)) {
      if (*text == "http" || *text == "https") {
        spec.scheme = *text;
      } else {
        diag.error(f->where, fmt::format("{}: '{}' is not http or https", f->name(), *text));
      }
    }
  }
  if (auto f = map.get("insecureSkipVerify")) {
    if (auto on = readBool(diag, *f)) spec.insecureSkipVerify = *on;
  }
  if (auto f = map.get("caFile")) {
    if (auto text = readString(diag, *f)) spec.caFile = *text;
  }
  if (auto f = map.get("maxBodySize")) {
    if (auto n = readBytes(diag, *f)) {
      if (*n < 1024 || *n > (int64_t{1} << 30)) {
        diag.error(f->where, fmt::format("{}: must be between 1Ki and 1Gi", f->name()));
      } else {
        spec.maxBodyBytes = *n;
      }
    }
  }
}

void parseTokenization(Diagnostics& diag, const Field& field, PickerConfig& config) {
  MapReader map(diag, field, {"enabled", "path", "timeout", "maxPromptSize"},
                /*nullIsEmpty=*/true);
  TokenizationSpec& spec = config.tokenization;
  // Writing the block turns it on unless it says otherwise.
  spec.enabled = true;
  if (auto f = map.get("enabled")) {
    if (auto on = readBool(diag, *f)) spec.enabled = *on;
  }
  if (auto f = map.get("path")) {
    if (auto text = readString(diag, *f)) {
      if (text->empty() || text->front() != '/') {
        diag.error(f->where, fmt::format("{}: '{}' does not start with /", f->name(), *text));
      } else {
        spec.path = *text;
      }
    }
  }
  if (auto f = map.get("timeout")) {
    if (auto ns = readDurationNs(diag, *f)) {
      if (*ns < 1'000'000) {
        diag.error(f->where, fmt::format("{}: must be at least 1ms", f->name()));
      } else {
        spec.timeoutNs = *ns;
      }
    }
  }
  if (auto f = map.get("maxPromptSize")) {
    if (auto n = readBytes(diag, *f)) {
      if (*n < 1 || *n > (int64_t{1} << 30)) {
        diag.error(f->where, fmt::format("{}: must be between 1 and 1Gi", f->name()));
      } else {
        spec.maxPromptBytes = *n;
      }
    }
  }
}

}  // namespace epp::config::sections

namespace epp::config {

std::string EndpointSourceSpec::key() const {
  switch (kind) {
    case Kind::kFile:
      return "file:" + path;
    case Kind::kDns:
      return fmt::format("dns:{}:{}", host, port);
    case Kind::kKubernetes:
      break;
  }
  const KubernetesSourceSpec& k = kubernetes;
  return fmt::format(
      "kubernetes:{}{}/{}?{}", k.apiServer.empty() ? "" : k.apiServer + "/", k.ns,
      k.resource == KubernetesSourceSpec::Resource::kPods ? "pods" : "endpointslices",
      k.labelSelector);
}

std::string EndpointSourceSpec::metricName() const {
  switch (kind) {
    case Kind::kFile:
      return path;
    case Kind::kDns:
      return fmt::format("{}:{}", host, port);
    case Kind::kKubernetes:
      break;
  }
  return kubernetes.ns + "/" + kubernetes.labelSelector;
}

bool EndpointSourceSpec::sameAs(const EndpointSourceSpec& o) const {
  const EndpointSpec& a = attributes;
  const EndpointSpec& b = o.attributes;
  return kind == o.kind && path == o.path && host == o.host && port == o.port &&
         intervalNs == o.intervalNs && kubernetes == o.kubernetes && a.engine == b.engine &&
         a.role == b.role && a.pool == b.pool && a.labels == b.labels && a.scrape == b.scrape;
}

common::Result<std::vector<EndpointSpec>> parseEndpointList(const std::string& text,
                                                            const std::string& file) {
  if (text.size() > kMaxConfigBytes) {
    return common::Error{
        fmt::format("{}: endpoint list is larger than {} MiB", file, kMaxConfigBytes >> 20)};
  }
  // An empty file is more often one caught half-written than a wish for no endpoints.
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return common::Error{
        fmt::format("{}: the endpoint list file is empty (write [] for no endpoints)", file)};
  }
  auto document = loadDocument(text, file);
  if (!document) return common::Error{document.error()};
  Diagnostics diag(file);
  Field root = Field::root(*document, file);
  if (!root.isNull() && !root.node.IsSequence()) {
    diag.error(root.where, fmt::format("{}: an endpoint list must be a list, not {}", file,
                                       nodeKindName(root.node)));
    return common::Error{diag.joined()};
  }
  PickerConfig holder;
  sections::parseEndpoints(diag, root, holder);
  if (!diag.empty()) return common::Error{diag.joined()};
  return std::move(holder.endpoints);
}

}  // namespace epp::config

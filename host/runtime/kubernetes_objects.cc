#include "host/runtime/kubernetes_objects.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace epp::runtime::kube {
namespace {

using nlohmann::json;
using Resource = config::KubernetesSourceSpec::Resource;

constexpr std::string_view kEngineLabel = "inference.networking.k8s.io/engine-type";
constexpr std::string_view kRoleLabel = "llm-d.ai/role";
constexpr std::string_view kActivePorts = "llm-d.ai/active-ports";
constexpr std::string_view kLegacyActivePorts = "inference.networking.k8s.io/active-ports";

// The member `key` of `object` when it is a string, else "".
std::string stringAt(const json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& member(const json& object, std::string_view key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it != object.end() ? *it : kNull;
}

std::map<std::string, std::string> stringMap(const json& object) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return out;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

bool podReady(const json& pod) {
  const json& meta = member(pod, "metadata");
  if (!member(meta, "deletionTimestamp").is_null()) return false;
  const json& status = member(pod, "status");
  if (stringAt(status, "phase") != "Running" || stringAt(status, "podIP").empty()) return false;
  const json& conditions = member(status, "conditions");
  if (!conditions.is_array()) return false;
  for (const json& c : conditions) {
    if (stringAt(c, "type") == "Ready") return stringAt(c, "status") == "True";
  }
  return false;
}

// The target ports the pod's annotation names active (all of them without one).
std::set<uint32_t> activePorts(const json& pod, const std::vector<uint32_t>& targetPorts) {
  std::set<uint32_t> all(targetPorts.begin(), targetPorts.end());
  auto annotations = stringMap(member(member(pod, "metadata"), "annotations"));
  auto it = annotations.find(std::string(kActivePorts));
  if (it == annotations.end()) it = annotations.find(std::string(kLegacyActivePorts));
  if (it == annotations.end()) return all;
  std::set<uint32_t> active;
  std::string_view rest = it->second;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    uint32_t port = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), port);
    if (ec == std::errc() && end == item.data() + item.size() && all.count(port)) {
      active.insert(port);
    }
  }
  return active;
}

config::EndpointSpec endpointAt(const config::EndpointSourceSpec& source, std::string address,
                                uint32_t port, std::string name) {
  config::EndpointSpec e = source.attributes;
  e.address = std::move(address);
  e.port = port;
  e.name = std::move(name);
  e.where = source.where;
  return e;
}

std::vector<config::EndpointSpec> podEndpoints(const config::EndpointSourceSpec& source,
                                               const json& pod) {
  std::vector<config::EndpointSpec> out;
  if (!podReady(pod)) return out;
  const json& meta = member(pod, "metadata");
  std::string name = stringAt(meta, "name");
  std::string ip = stringAt(member(pod, "status"), "podIP");
  auto labels = stringMap(member(meta, "labels"));
  const auto& ports = source.kubernetes.targetPorts;
  std::set<uint32_t> active = activePorts(pod, ports);
  for (size_t i = 0; i < ports.size(); ++i) {
    if (!active.count(ports[i])) continue;
    config::EndpointSpec e = endpointAt(source, ip, ports[i], fmt::format("{}-rank-{}", name, i));
    for (const auto& [key, value] : labels) e.labels[key] = value;
    if (auto it = labels.find(std::string(kEngineLabel));
        it != labels.end() && !it->second.empty()) {
      e.engine = it->second;
    }
    if (auto it = e.labels.find(std::string(kRoleLabel)); it != e.labels.end()) {
      e.role = it->second;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<config::EndpointSpec> sliceEndpoints(const config::EndpointSourceSpec& source,
                                                 const json& slice) {
  std::vector<config::EndpointSpec> out;
  std::string addressType = stringAt(slice, "addressType");
  if (addressType != "IPv4" && addressType != "IPv6") return out;  // FQDN: not an IP
  // The slice's TCP port numbers; the ranks are the target ports' order when listed.
  std::vector<uint32_t> slicePorts;
  const json& ports = member(slice, "ports");
  if (ports.is_array()) {
    for (const json& p : ports) {
      std::string protocol = stringAt(p, "protocol");
      const json& number = member(p, "port");
      if ((protocol.empty() || protocol == "TCP") && number.is_number_unsigned()) {
        slicePorts.push_back(number.get<uint32_t>());
      }
    }
  }
  std::vector<std::pair<size_t, uint32_t>> ranks;  // (rank, port)
  const auto& wanted = source.kubernetes.targetPorts;
  if (wanted.empty()) {
    for (size_t i = 0; i < slicePorts.size(); ++i) ranks.emplace_back(i, slicePorts[i]);
  } else {
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (std::find(slicePorts.begin(), slicePorts.end(), wanted[i]) != slicePorts.end()) {
        ranks.emplace_back(i, wanted[i]);
      }
    }
  }
  const json& endpoints = member(slice, "endpoints");
  if (!endpoints.is_array()) return out;
  for (const json& ep : endpoints) {
    // An absent `ready` means ready (the API's rule for consumers).
    const json& ready = member(member(ep, "conditions"), "ready");
    if (ready.is_boolean() && !ready.get<bool>()) continue;
    const json& addresses = member(ep, "addresses");
    if (!addresses.is_array() || addresses.empty() || !addresses[0].is_string()) continue;
    std::string address = addresses[0].get<std::string>();
    std::string owner = stringAt(member(ep, "targetRef"), "name");
    if (owner.empty()) owner = address;
    for (const auto& [rank, port] : ranks) {
      out.push_back(endpointAt(source, address, port, fmt::format("{}-rank-{}", owner, rank)));
    }
  }
  return out;
}

// What is wrong with `doc` as the object of a watch event, or "".
std::string checkObject(const json& object) {
  if (!object.is_object()) return "the event has no object";
  if (!member(object, "metadata").is_object()) return "the object has no metadata";
  return "";
}

}  // namespace

std::string urlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string collectionPath(const config::KubernetesSourceSpec& spec) {
  return spec.resource == Resource::kPods
             ? fmt::format("/api/v1/namespaces/{}/pods", spec.ns)
             : fmt::format("/apis/discovery.k8s.io/v1/namespaces/{}/endpointslices", spec.ns);
}

std::string listTarget(const config::KubernetesSourceSpec& spec, std::string_view continueToken,
                       int limit) {
  std::string target = collectionPath(spec) + "?limit=" + std::to_string(limit);
  if (!spec.labelSelector.empty()) target += "&labelSelector=" + urlEncode(spec.labelSelector);
  if (!continueToken.empty()) target += "&continue=" + urlEncode(continueToken);
  return target;
}

std::string watchTarget(const config::KubernetesSourceSpec& spec, std::string_view resourceVersion,
                        int timeoutSeconds) {
  std::string target = collectionPath(spec) + "?watch=1";
  if (!spec.labelSelector.empty()) target += "&labelSelector=" + urlEncode(spec.labelSelector);
  target += "&resourceVersion=" + urlEncode(resourceVersion);
  target += "&allowWatchBookmarks=true";
  target += "&timeoutSeconds=" + std::to_string(timeoutSeconds);
  return target;
}

common::Result<ListPage> parseListPage(std::string_view body, std::string_view kind) {
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return common::Error{"the list answer is not a JSON object"};
  }
  if (std::string got = stringAt(doc, "kind"); got != kind) {
    return common::Error{fmt::format("the list answer is a '{}', not a {}", got, kind)};
  }
  ListPage page;
  const json& meta = member(doc, "metadata");
  page.resourceVersion = stringAt(meta, "resourceVersion");
  page.continueToken = stringAt(meta, "continue");
  if (page.resourceVersion.empty()) {
    return common::Error{fmt::format("the {} has no metadata.resourceVersion", kind)};
  }
  json& items = doc["items"];
  if (items.is_array()) {
    for (json& item : items) page.items.push_back(std::move(item));
  } else if (!items.is_null()) {
    return common::Error{fmt::format("the {}'s items are not a list", kind)};
  }
  return page;
}

common::Result<WatchEvent> parseWatchEvent(std::string_view line) {
  json doc = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return common::Error{"a watch event is not a JSON object"};
  }
  WatchEvent event;
  std::string type = stringAt(doc, "type");
  if (type == "ADDED") {
    event.type = WatchEvent::Type::kAdded;
  } else if (type == "MODIFIED") {
    event.type = WatchEvent::Type::kModified;
  } else if (type == "DELETED") {
    event.type = WatchEvent::Type::kDeleted;
  } else if (type == "BOOKMARK") {
    event.type = WatchEvent::Type::kBookmark;
  } else if (type == "ERROR") {
    event.type = WatchEvent::Type::kError;
  } else {
    return common::Error{fmt::format("a watch event has type '{}'", type)};
  }
  event.object = std::move(doc["object"]);
  if (event.type == WatchEvent::Type::kError) {
    const json& code = member(event.object, "code");
    event.code = code.is_number_integer() ? code.get<int>() : 0;
    event.message = stringAt(event.object, "message");
    return event;
  }
  if (std::string why = checkObject(event.object); !why.empty()) {
    return common::Error{fmt::format("a {} watch event: {}", type, why)};
  }
  const json& meta = member(event.object, "metadata");
  event.name = stringAt(meta, "name");
  event.resourceVersion = stringAt(meta, "resourceVersion");
  if (event.resourceVersion.empty()) {
    return common::Error{fmt::format("a {} watch event has no resourceVersion", type)};
  }
  if (event.name.empty() && event.type != WatchEvent::Type::kBookmark) {
    return common::Error{fmt::format("a {} watch event's object has no name", type)};
  }
  return event;
}

std::string statusMessage(std::string_view body) {
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_discarded() && stringAt(doc, "kind") == "Status") {
    std::string reason = stringAt(doc, "reason");
    std::string message = stringAt(doc, "message");
    if (reason.empty()) return message;
    return message.empty() ? reason : reason + ": " + message;
  }
  std::string start(body.substr(0, 200));
  std::replace(start.begin(), start.end(), '\n', ' ');
  return start;
}

std::string objectName(const nlohmann::json& object) {
  return stringAt(member(object, "metadata"), "name");
}

std::vector<config::EndpointSpec> endpointsOf(const config::EndpointSourceSpec& source,
                                              const nlohmann::json& object) {
  return source.kubernetes.resource == Resource::kPods ? podEndpoints(source, object)
                                                       : sliceEndpoints(source, object);
}

}  // namespace epp::runtime::kube

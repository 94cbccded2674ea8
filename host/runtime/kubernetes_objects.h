// File: host/runtime/kubernetes_objects.h
//
// The Kubernetes API's wire format as the `kubernetes` endpoint source reads it, without
// any I/O: request targets of a list and a watch, a list page (PodList, EndpointSliceList),
// one line of a watch stream, a Status body, and the endpoints one Pod or EndpointSlice
// stands for.
//
// A pod is an endpoint when it has an IP, is Running, has condition Ready=True and is not
// being deleted; it gives one endpoint per target port (data-parallel ranks), narrowed by
// the annotation llm-d.ai/active-ports (or the older inference.networking.k8s.io/
// active-ports) when present. Endpoint i is named "<pod>-rank-<i>", i its target port's
// index, as the reference names them. The pod's labels join the source's, the pod winning;
// the engine comes from label inference.networking.k8s.io/engine-type and the role from
// llm-d.ai/role when the pod has them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "host/common/result.h"
#include "host/config/picker_config.h"

namespace epp::runtime::kube {

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string urlEncode(std::string_view text);

// "/api/v1/namespaces/NS/pods" or "/apis/discovery.k8s.io/v1/namespaces/NS/endpointslices".
std::string collectionPath(const config::KubernetesSourceSpec& spec);
// A list request, paged by `limit` items, continuing from `continueToken` when not empty.
std::string listTarget(const config::KubernetesSourceSpec& spec, std::string_view continueToken,
                       int limit);
// A watch from `resourceVersion` with bookmarks; the server ends it after `timeoutSeconds`.
std::string watchTarget(const config::KubernetesSourceSpec& spec, std::string_view resourceVersion,
                        int timeoutSeconds);

struct ListPage {
  std::string resourceVersion;
  std::string continueToken;
  std::vector<nlohmann::json> items;
};
// A list response body: its kind must be `kind` (PodList, EndpointSliceList).
common::Result<ListPage> parseListPage(std::string_view body, std::string_view kind);

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  nlohmann::json object;
  std::string name;             // object.metadata.name (not for ERROR)
  std::string resourceVersion;  // object.metadata.resourceVersion (not for ERROR)
  int code = 0;                 // ERROR: the Status code (410: the version is too old)
  std::string message;          // ERROR: the Status message
};
// One line of a watch stream: {"type": ..., "object": {...}}.
common::Result<WatchEvent> parseWatchEvent(std::string_view line);

// "<reason>: <message>" of a Status body (what the API server answers with an error
// status), or the body's start when it is not one.
std::string statusMessage(std::string_view body);

// metadata.name of an object, or "".
std::string objectName(const nlohmann::json& object);

// The endpoints `object` (a Pod or an EndpointSlice, after `source.kubernetes.resource`)
// stands for now; empty when it stands for none (not ready, no IP).
std::vector<config::EndpointSpec> endpointsOf(const config::EndpointSourceSpec& source,
                                              const nlohmann::json& object);

}  // namespace epp::runtime::kube

// File: host/runtime/kubernetes_endpoint_source.h
//
// The `kubernetes` endpoint source: the ready pods (or EndpointSlice endpoints) matching a
// label selector in a namespace, kept current the way Kubernetes clients do it:
//
//   LIST   GET <collection>?labelSelector=…&limit=500 (following `continue`), which gives
//          every object and the collection's resourceVersion;
//   WATCH  GET <collection>?watch=1&resourceVersion=RV&allowWatchBookmarks=true, a chunked
//          stream of one JSON event per line (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR).
//
// Every event and bookmark advances the resourceVersion, and a watch that ends (the
// server's timeout, a dropped connection) is resumed from it. When the server has
// forgotten that version (HTTP 410, or an ERROR event with code 410) the source lists
// again and the new list replaces its whole state, so a pod deleted during the gap leaves.
// Failures (connect, TLS, HTTP 401/403, a malformed answer) are reported to `onError` and
// retried with a doubling backoff, bounded; the last good endpoint set stays meanwhile.
//
// Each request opens its own connection (HTTPS verified against the CA file, or plain HTTP
// for `kubectl proxy`) and re-reads the token file, which kubelet rotates. The source is a
// coroutine on an io_context it shares with the other sources (no thread of its own).
// Endpoints are published after each list and after each read of events that changed them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/config/picker_config.h"

namespace epp::runtime {

struct KubernetesTiming {
  std::chrono::milliseconds initialBackoff{500};
  std::chrono::milliseconds maxBackoff{30'000};
  std::chrono::milliseconds connectTimeout{10'000};  // resolve, connect and TLS handshake
  std::chrono::milliseconds requestTimeout{60'000};  // a list page; a watch's first answer
  // Asked of the server for each watch; the client gives up on a silent watch this much
  // later (a connection that died without a FIN).
  int watchTimeoutSeconds = 300;
  std::chrono::milliseconds watchIdleSlack{30'000};
  int listPageSize = 500;
  uint64_t maxListBodyBytes = 256u << 20;
  size_t maxEventBytes = 16u << 20;
};

class KubernetesEndpointSource {
 public:
  using Publish = std::function<void(std::vector<config::EndpointSpec>)>;
  using OnError = std::function<void(const std::string& error)>;
  // After a list or watch succeeds following reported errors.
  using OnRecovered = std::function<void()>;

  KubernetesEndpointSource(boost::asio::io_context& io, config::EndpointSourceSpec spec,
                           Publish publish, OnError onError, OnRecovered onRecovered = {},
                           KubernetesTiming timing = {});
  ~KubernetesEndpointSource();
  KubernetesEndpointSource(const KubernetesEndpointSource&) = delete;
  KubernetesEndpointSource& operator=(const KubernetesEndpointSource&) = delete;

  void start();
  // No callback runs once stop returns; the connection in use is closed. Idempotent.
  void stop();

  // For tests and logs: completed lists, watch requests made, reported failures, and the
  // resourceVersion the next watch starts from.
  uint64_t lists() const;
  uint64_t watches() const;
  uint64_t failures() const;
  std::string resourceVersion() const;

 private:
  struct Impl;
  // Shared with the coroutine, which may outlive this object until its next resumption.
  std::shared_ptr<Impl> impl_;
};

}  // namespace epp::runtime

// File: tests/support/fake_kube_api_server.h
//
// A stand-in for the Kubernetes API server, for the `kubernetes` endpoint source's tests:
// real HTTP/1.1 over TLS (or plain) on 127.0.0.1, answering one collection (pods or
// endpointslices of one namespace) in the API's own wire format:
//
//   GET <collection>?labelSelector=…[&limit=N&continue=T]
//       -> {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"RV",
//           "continue":"…"},"items":[…]}
//   GET <collection>?watch=1&resourceVersion=RV[&allowWatchBookmarks=true]
//       -> 200, Transfer-Encoding: chunked, one {"type":…,"object":{…}} line per event
//          after RV, then each new one as it happens
//
// Every change of the collection is an event with the next resourceVersion (a counter).
// compact() forgets the history, so a watch from an older version is answered 410 (as an
// HTTP status or as an ERROR event, the two forms real servers use). dropWatches() cuts
// open watch connections without ending their streams. A wrong bearer token gets 401.
// Each request is recorded (target, Authorization header) for the tests to inspect.
//
// Label selectors are equality terms ("a=b,c=d"), which is what the tests send. Blocking
// Beast, a thread per connection: test traffic only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace epp::testing {

class FakeKubeApiServer {
 public:
  struct Options {
    // TLS with this certificate and key; both empty: plain HTTP.
    std::filesystem::path certFile;
    std::filesystem::path keyFile;
    std::string ns = "llm";
    bool endpointSlices = false;  // serve endpointslices instead of pods
    std::string token = "test-token";
  };
  enum class GoneAs { kHttpStatus, kErrorEvent };

  struct Request {
    std::string target;
    std::string authorization;
    std::map<std::string, std::string> query;  // decoded
    bool watch = false;
  };

  explicit FakeKubeApiServer(Options options);
  ~FakeKubeApiServer();
  FakeKubeApiServer(const FakeKubeApiServer&) = delete;
  FakeKubeApiServer& operator=(const FakeKubeApiServer&) = delete;

  int port() const { return port_; }
  // "https://127.0.0.1:PORT" (or http://).
  std::string url() const;

  // Adds or replaces an object by metadata.name (ADDED or MODIFIED); returns its new
  // resourceVersion.
  std::string upsert(nlohmann::json object);
  // DELETED; returns the new resourceVersion.
  std::string remove(const std::string& name);
  // A BOOKMARK at a new resourceVersion (the collection itself does not change, as when
  // other objects of the namespace change).
  std::string bookmark();
  // The history is forgotten: a watch from any version before now gets 410.
  void compact();
  void setGoneAs(GoneAs how);
  // A DELETED or ADDED done without telling watchers (the change a watcher misses while
  // disconnected; combine with compact()).
  void removeSilently(const std::string& name);
  void setToken(std::string token);
  void setPageSize(int items);  // lists answer at most this many items per page
  // Closes every open watch connection abruptly (no final chunk).
  void dropWatches();
  // Closes the listener and every connection.
  void stop();

  std::string resourceVersion() const;
  std::vector<Request> requests() const;
  std::vector<Request> watchRequests() const;
  int openWatches() const;
  // Polls `done()` until it holds, up to `timeout` (a loaded 2-core machine is slow).
  static bool waitFor(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // A Pod as the API returns it. `ready`: condition Ready=True; phase Running unless
  // `phase` says otherwise; no IP when `ip` is empty.
  static nlohmann::json pod(const std::string& name, const std::string& ip, bool ready,
                            std::map<std::string, std::string> labels = {},
                            const std::string& phase = "Running");

 private:
  struct Connection;
  struct Event {
    uint64_t rv;
    std::string type;
    nlohmann::json object;
  };

  void acceptLoop();
  void serve(std::shared_ptr<Connection> connection);
  bool handle(Connection& c, const std::string& target, const std::string& authorization,
              bool keepAlive);
  void list(Connection& c, const Request& r, bool keepAlive);
  void watch(Connection& c, const Request& r);
  bool matches(const nlohmann::json& object, const std::string& selector) const;
  std::string addEventLocked(const std::string& type, nlohmann::json object);

  Options options_;
  std::string collection_;
  std::string listKind_;
  int port_ = 0;
  struct Net;
  std::unique_ptr<Net> net_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, nlohmann::json> objects_;
  std::vector<Event> history_;
  uint64_t rv_ = 1000;
  uint64_t compactedBelow_ = 0;  // watches from versions before this get 410
  GoneAs goneAs_ = GoneAs::kErrorEvent;
  int pageSize_ = 0;  // 0: no paging
  uint64_t dropGeneration_ = 0;
  int openWatches_ = 0;
  bool stopping_ = false;
  std::vector<Request> requests_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::thread acceptThread_;
  std::vector<std::thread> threads_;
};

}  // namespace epp::testing

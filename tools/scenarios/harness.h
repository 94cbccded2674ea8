// File: tools/scenarios/harness.h
//
// What every scenario does: start its simulated fleet (eppd-sim processes, one group of
// servers per set of flags) and eppd on the scenario's config moved onto the fleet's ports,
// wait until eppd has scraped every server, send requests through eppd as Envoy does and
// forward each to the server eppd picked, and read /decisions, /endpoints and /metrics.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/sim_process.h"
#include "tools/scenarios/scenario.h"

namespace epp::scenarios {

using testing::HeaderList;

// `count` eppd-sim servers started by one process with `flags` (besides --count, --port
// and --time-scale 10). Groups take the config's endpoints in order.
struct SimGroup {
  int count = 1;
  std::vector<std::string> flags;
};

struct Request {
  std::string id;  // sent as x-request-id; /decisions is searched by it
  std::string model;
  std::string prompt = "Hello!";
  int maxTokens = 8;
  HeaderList headers;
  std::chrono::milliseconds timeout{10000};
};

struct Outcome {
  std::string id;
  int status = 0;                       // eppd's ImmediateResponse status, else the server's
  std::string endpoint;                 // config name of the server eppd picked ("" when refused)
  std::string upstreamModel;            // the model eppd sent upstream
  std::string clientModel;              // the model the client's answer names, after eppd's rewrite
  std::string error;                    // eppd's ImmediateResponse body
  std::vector<std::string> violations;  // anything Envoy would reject in eppd's replies
  double seconds = 0;                   // first message to the end of the response
};

class Stage {
 public:
  Stage(const Options& options, const std::string& scenario, std::vector<SimGroup> fleet);
  ~Stage();
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;

  bool ready() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::ostream& out() { return *options_.out; }
  bool shortRun() const { return options_.shortRun; }

  // Endpoints in the config's order, by name, and the simulator port behind each.
  const std::vector<std::string>& names() const { return names_; }
  int port(const std::string& name) const;
  std::string nameOf(const std::string& hostPort) const;

  // One request through eppd; when routed, forwarded to the simulator eppd picked and its
  // answer played back through eppd's response path.
  Outcome send(const Request& request);

  // The /decisions entry of a request (null when eppd kept none).
  nlohmann::json decision(const std::string& requestId);
  // explainDecision of that entry, with the fleet's names.
  std::string explain(const std::string& requestId, size_t maxRows = 6);
  // The same for an entry already read from /decisions.
  std::string explainEntry(const nlohmann::json& decision, size_t maxRows = 6);
  nlohmann::json admin(const std::string& path);
  // Polls GET /endpoints until `done` holds for it.
  bool waitForEndpoints(const std::function<bool(const nlohmann::json&)>& done,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits until eppd counts no request in flight anywhere: a stream's end reaches eppd's
  // counts just after the client saw it, and the next decision should not see it.
  bool waitIdle();
  // One sample of eppd's /metrics ("name{labels}" exactly), -1 when absent.
  double metric(const std::string& sample) const;
  // metric(sample) once it equals `value` (counters a stream's end updates trail the
  // client's answer), or its last value after 5 s.
  double awaitMetric(const std::string& sample, double value) const;
  testing::EnvoyClient& client() { return *client_; }

 private:
  Options options_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<testing::SimProcess>> sims_;
  std::unique_ptr<testing::EppdProcess> eppd_;
  std::unique_ptr<testing::EnvoyClient> client_;
  std::vector<std::string> names_;
  std::map<std::string, int> ports_;
  std::map<std::string, std::string> namesByHostPort_;
  std::string error_;
};

// Requests sent straight to simulated servers, not through eppd, and left running: the load
// or adapter state a scenario starts from, as other gateways' traffic would leave it. They
// stream (nothing reads the tokens; the socket buffers hold them), so closing the connection
// cancels a request at its next token.
class HeldRequests {
 public:
  HeldRequests() = default;
  ~HeldRequests();
  HeldRequests(const HeldRequests&) = delete;
  HeldRequests& operator=(const HeldRequests&) = delete;

  // `count` requests for `model`, each asking for `maxTokens` tokens; false when a
  // connection failed.
  bool add(int port, const std::string& model, int count, int maxTokens);
  void release(int port);

 private:
  std::multimap<int, int> sockets_;  // server port -> connection
};

// The chat completion body eppd and the simulators see.
std::string chatBody(const std::string& model, const std::string& prompt, int maxTokens);

// "12 of 12" style counts and percentages for the reports.
std::string percent(double part, double whole);

}  // namespace epp::scenarios

namespace epp::scenarios {

// One line per endpoint of GET /endpoints: the values of `labels` (e.g. eppd.io/gpu-type),
// running and waiting requests, KV-cache use, and with `loras` the active LoRA adapters and
// the number of adapter slots.
std::string endpointTable(const nlohmann::json& endpoints,
                          const std::vector<std::string>& labels = {}, bool loras = false);

// "sim-1 10, sim-2 3" in `order` (names without a count are left out).
std::string tally(const std::map<std::string, int>& counts, const std::vector<std::string>& order);

// The endpoint entry of GET /endpoints with that name (null when absent).
nlohmann::json endpointNamed(const nlohmann::json& endpoints, const std::string& name);

// Whether an /endpoints entry has `adapter` among its active LoRA adapters.
bool hasActiveLora(const nlohmann::json& endpoint, const std::string& adapter);

}  // namespace epp::scenarios

// File: tests/extproc/scripted_pipeline.h
//
// A RequestPipeline test double that decides from directives in the request body (or, for
// header-only requests, in the `x-script` header), so a test states the decision in the
// request it sends:
//   dest=<ip:port>      route there (default 10.0.0.1:8000)
//   empty-dest          a routed decision without a destination (a pipeline bug)
//   error=<status>      ImmediateResponse <status> "scripted failure" (code left empty
//                       for 400/404/429/500/503 so the transport's mapping is exercised
//                       only when `nocode` is also given)
//   retry-after         error response carries retry-after: 1
//   delay=<ms>          answer from another thread after <ms> milliseconds
//   hold                keep the callback until release() (a request parked in a queue)
//   throw               route() throws
//   set-header          decision.setHeaders += x-test-header: yes
//   plugin-destination=<v>  decision.setHeaders += x-gateway-destination-endpoint: <v>
//                       (a plugin redirecting the pick)
//   replace-body        decision.body = "REPLACED:" + original body
//   upper-response      the observer upper-cases each response chunk
//   no-observer         decision without a ResponseObserver
// Every input is recorded (a copy, so the transport's own reference can be the last one).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host/extproc/request_pipeline.h"

namespace epp::testing {

using extproc::HeaderList;
using extproc::RequestInput;
using extproc::RoutingDecision;

// What a ResponseObserver saw; outlives the observer.
struct ObserverLog {
  std::mutex mu;
  HeaderList responseHeaders;
  std::vector<std::string> chunks;
  std::vector<bool> chunkEos;
  int completeCalls = 0;
  bool completed = false;
};

class RecordingObserver final : public extproc::ResponseObserver {
 public:
  RecordingObserver(std::shared_ptr<ObserverLog> log, bool upperCase)
      : log_(std::move(log)), upperCase_(upperCase) {}
  void onResponseHeaders(const HeaderList& headers, HeaderList& set_headers) override;
  void onResponseBody(std::string& chunk, bool end_of_stream) override;
  void onComplete(bool completed) override;

 private:
  std::shared_ptr<ObserverLog> log_;
  bool upperCase_;
};

class ScriptedPipeline final : public extproc::RequestPipeline {
 public:
  ~ScriptedPipeline() override;

  void route(std::shared_ptr<RequestInput> input, extproc::RouteCallback done) override;

  // Copies of every input routed so far.
  std::vector<RequestInput> inputs();
  size_t routeCalls();
  // The observer log of the n-th routed request (in route() order).
  std::shared_ptr<ObserverLog> observerLog(size_t n);

  // Held requests: wait for one, then answer it (from the calling thread).
  bool waitHeld(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The cancelled flag of the n-th held request.
  std::shared_ptr<common::CancelSignal> heldCancelled(size_t n);
  void release(size_t n, RoutingDecision decision);
  // A routed decision like the pipeline would make, with a RecordingObserver on `log`.
  static RoutingDecision routed(const std::string& destination, std::shared_ptr<ObserverLog> log);

 private:
  struct Held {
    std::shared_ptr<common::CancelSignal> cancelled;
    extproc::RouteCallback done;
  };

  RoutingDecision decide(const RequestInput& input, const std::string& script,
                         const std::shared_ptr<ObserverLog>& log);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RequestInput> inputs_;
  std::vector<std::shared_ptr<ObserverLog>> logs_;
  std::vector<Held> held_;
  std::vector<std::thread> threads_;
};

}  // namespace epp::testing

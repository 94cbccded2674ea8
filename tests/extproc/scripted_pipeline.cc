#include "tests/extproc/scripted_pipeline.h"

#include <cctype>
#include <stdexcept>
#include <utility>

namespace epp::testing {
namespace {

// The text after "key=" up to the next space, quote or brace (commas belong to lists).
std::string directiveValue(const std::string& script, const std::string& key) {
  size_t pos = script.find(key + "=");
  if (pos == std::string::npos) return {};
  pos += key.size() + 1;
  size_t end = script.find_first_of(" \"'}\n", pos);
  return script.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

bool has(const std::string& script, const char* word) {
  return script.find(word) != std::string::npos;
}

}  // namespace

void RecordingObserver::onResponseHeaders(const HeaderList& headers, HeaderList& set_headers) {
  std::lock_guard lock(log_->mu);
  log_->responseHeaders = headers;
  set_headers.emplace_back("x-observed", "1");
}

void RecordingObserver::onResponseBody(std::string& chunk, bool end_of_stream) {
  {
    std::lock_guard lock(log_->mu);
    log_->chunks.push_back(chunk);
    log_->chunkEos.push_back(end_of_stream);
  }
  if (upperCase_) {
    for (char& c : chunk) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
}

void RecordingObserver::onComplete(bool completed) {
  std::lock_guard lock(log_->mu);
  ++log_->completeCalls;
  log_->completed = completed;
}

ScriptedPipeline::~ScriptedPipeline() {
  for (std::thread& thread : threads_) thread.join();
}

RoutingDecision ScriptedPipeline::routed(const std::string& destination,
                                         std::shared_ptr<ObserverLog> log) {
  RoutingDecision decision;
  decision.destination = destination;
  decision.observer = std::make_unique<RecordingObserver>(std::move(log), false);
  return decision;
}

RoutingDecision ScriptedPipeline::decide(const RequestInput& input, const std::string& script,
                                         const std::shared_ptr<ObserverLog>& log) {
  std::string error = directiveValue(script, "error");
  if (!error.empty()) {
    const int status = std::stoi(error);
    std::string code;
    if (!has(script, "nocode")) {
      switch (status) {
        case 400:
          code = "BadRequest";
          break;
        case 404:
          code = "NotFound";
          break;
        case 429:
          code = "ResourceExhausted";
          break;
        case 500:
          code = "Internal";
          break;
        case 503:
          code = "ServiceUnavailable";
          break;
        default:
          break;
      }
    }
    RoutingDecision decision = RoutingDecision::error(status, code, "scripted failure");
    if (has(script, "retry-after")) decision.errorHeaders.emplace_back("retry-after", "1");
    return decision;
  }
  RoutingDecision decision;
  std::string destination = directiveValue(script, "dest");
  decision.destination = destination.empty() ? "10.0.0.1:8000" : destination;
  if (has(script, "empty-dest")) decision.destination.clear();
  if (has(script, "set-header")) decision.setHeaders.emplace_back("x-test-header", "yes");
  std::string pluginDestination = directiveValue(script, "plugin-destination");
  if (!pluginDestination.empty()) {
    decision.setHeaders.emplace_back("x-gateway-destination-endpoint", pluginDestination);
  }
  if (has(script, "replace-body")) {
    decision.bodyReplaced = true;
    decision.body = "REPLACED:" + input.body;
  }
  if (!has(script, "no-observer")) {
    decision.observer = std::make_unique<RecordingObserver>(log, has(script, "upper-response"));
  }
  return decision;
}

void ScriptedPipeline::route(std::shared_ptr<RequestInput> input, extproc::RouteCallback done) {
  std::string script = input->body;
  if (input->headersOnly) {
    for (const auto& [key, value] : input->headers) {
      if (key == "x-script") script = value;
    }
  }
  auto log = std::make_shared<ObserverLog>();
  {
    std::lock_guard lock(mu_);
    inputs_.push_back(*input);
    logs_.push_back(log);
  }
  if (has(script, "throw")) throw std::runtime_error("scripted exception");
  if (has(script, "hold")) {
    std::lock_guard lock(mu_);
    held_.push_back({input->cancelled, std::move(done)});
    cv_.notify_all();
    return;
  }
  RoutingDecision decision = decide(*input, script, log);
  std::string delay = directiveValue(script, "delay");
  if (delay.empty()) {
    done(std::move(decision));
    return;
  }
  // Answer later from another thread, after dropping our reference to the input.
  input.reset();
  auto shared = std::make_shared<RoutingDecision>(std::move(decision));
  std::lock_guard lock(mu_);
  threads_.emplace_back([ms = std::stoi(delay), shared, done = std::move(done)] {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    done(std::move(*shared));
  });
}

std::vector<RequestInput> ScriptedPipeline::inputs() {
  std::lock_guard lock(mu_);
  return inputs_;
}

size_t ScriptedPipeline::routeCalls() {
  std::lock_guard lock(mu_);
  return inputs_.size();
}

std::shared_ptr<ObserverLog> ScriptedPipeline::observerLog(size_t n) {
  std::lock_guard lock(mu_);
  return n < logs_.size() ? logs_[n] : nullptr;
}

bool ScriptedPipeline::waitHeld(size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return held_.size() >= count; });
}

std::shared_ptr<common::CancelSignal> ScriptedPipeline::heldCancelled(size_t n) {
  std::lock_guard lock(mu_);
  return held_.at(n).cancelled;
}

void ScriptedPipeline::release(size_t n, RoutingDecision decision) {
  extproc::RouteCallback done;
  {
    std::lock_guard lock(mu_);
    done = std::move(held_.at(n).done);
  }
  done(std::move(decision));
}

}  // namespace epp::testing

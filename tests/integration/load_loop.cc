#include "tests/integration/load_loop.h"

#include <nlohmann/json.hpp>

#include "tests/integration/envoy_client.h"

namespace epp::testing {

LoadLoop::LoadLoop(const std::string& target, int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this, target, i] { run(target, i); });
}

LoadLoop::~LoadLoop() { stop(); }

void LoadLoop::stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::vector<std::string> LoadLoop::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

void LoadLoop::run(const std::string& target, int thread) {
  EnvoyClient client(target);
  for (uint64_t n = 0; !stop_; ++n) {
    RequestSpec spec;
    nlohmann::json body = {
        {"model", "llama"},
        {"messages",
         {{{"role", "user"},
           {"content", "load " + std::to_string(thread) + "-" + std::to_string(n)}}}}};
    spec.body = body.dump();
    spec.timeout = std::chrono::seconds(10);
    if (n % 2 == 1) {
      ResponseSpec response;
      response.bodyChunks = {R"({"choices":[{"text":"ok"}],)",
                             R"("usage":{"prompt_tokens":3,"completion_tokens":1}})"};
      spec.response = response;
    }
    RequestResult r = client.process(spec);
    ++sent_;
    bool responseOk = !spec.response || r.echoedResponseChunks == spec.response->bodyChunks;
    if (r.routed && r.status.ok() && r.violations.empty() && responseOk) {
      ++routed_;
      continue;
    }
    ++failed_;
    std::lock_guard lock(mutex_);
    if (failures_.size() < 20) {
      std::string why = "thread " + std::to_string(thread) + " request " + std::to_string(n) +
                        ": routed=" + std::to_string(r.routed) +
                        " grpc=" + std::to_string(r.status.error_code()) + " " +
                        r.status.error_message() +
                        " immediate=" + std::to_string(r.immediateStatus) + " " + r.immediateBody;
      for (const auto& v : r.violations) why += "; " + v;
      if (!responseOk) why += "; response echo differs";
      failures_.push_back(why);
    }
  }
}

}  // namespace epp::testing

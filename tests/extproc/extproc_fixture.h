// File: tests/extproc/extproc_fixture.h
//
// A real eppd ext_proc Server on 127.0.0.1 (ports picked by the OS) in front of a
// ScriptedPipeline, and an EnvoyClient talking to it over the socket.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host/extproc/server.h"
#include "tests/extproc/scripted_pipeline.h"
#include "tests/integration/envoy_client.h"

namespace epp::testing {

class ExtProcTest : public ::testing::Test {
 protected:
  // Tests that need other limits change `options_` and call startServer() again.
  void SetUp() override { startServer(); }

  void TearDown() override {
    if (!server_) return;
    server_->shutdown(std::chrono::seconds(2));
    // Every stream object is gone once the server has shut down: nothing leaked.
    EXPECT_TRUE(eventually([&] { return server_->service().liveStreams() == 0; }));
    server_.reset();
  }

  void startServer() {
    if (server_) server_->shutdown(std::chrono::seconds(1));
    server_.reset();
    options_.address = "127.0.0.1:0";
    options_.healthAddress = "127.0.0.1:0";
    options_.stream.onStreamEnd = [this](const extproc::StreamOutcome& outcome) {
      std::lock_guard lock(outcomesMu_);
      outcomes_.push_back(outcome);
    };
    auto started = extproc::Server::start(options_, pipeline_, health_);
    ASSERT_TRUE(started.ok()) << started.error();
    server_ = std::move(*started);
    target_ = "127.0.0.1:" + std::to_string(server_->port());
    client_ = std::make_unique<EnvoyClient>(target_);
  }

  template <typename Pred>
  static bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return pred();
  }

  std::vector<extproc::StreamOutcome> outcomes() {
    std::lock_guard lock(outcomesMu_);
    return outcomes_;
  }

  static RequestSpec chat(std::string body) {
    RequestSpec spec;
    spec.headers = {{"content-type", "application/json"}};
    spec.body = std::move(body);
    return spec;
  }

  ScriptedPipeline pipeline_;
  extproc::HealthState health_;
  extproc::ServerOptions options_;
  std::unique_ptr<extproc::Server> server_;
  std::string target_;
  std::unique_ptr<EnvoyClient> client_;
  std::mutex outcomesMu_;
  std::vector<extproc::StreamOutcome> outcomes_;
};

}  // namespace epp::testing

// The reload controller in-process, on a config file in a temporary directory and the
// real built-in plugins: no-op detection, success, failure keeping the old snapshot, the
// file watch, and static endpoints that keep their learnt metrics.
#include "host/runtime/reload_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "host/common/clock.h"
#include "host/common/logging.h"
#include "host/runtime/pipeline.h"
#include "host/runtime/static_endpoints.h"

namespace epp::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::string configText(int queueWeight, const std::string& extra = "") {
  return "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
         "kind: EndpointPickerConfig\n"
         "plugins:\n"
         "- type: queue-scorer\n"
         "- type: max-score-picker\n" +
         extra +
         "schedulingProfiles:\n"
         "- name: default\n"
         "  plugins:\n"
         "  - {pluginRef: queue-scorer, weight: " +
         std::to_string(queueWeight) +
         "}\n"
         "  - {pluginRef: max-score-picker}\n"
         "endpoints:\n"
         "- {address: 10.0.0.1, port: 8000}\n"
         "- {address: 10.0.0.2, port: 8000}\n";
}

class ReloadControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-reload-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    options_.load.configPath = (dir_ / "config.yaml").string();
    options_.load.pluginDirs = {EPP_BUILTIN_PLUGIN_DIR};
    options_.load.pluginCache = dir_ / "cache";
    options_.quiet = 50ms;
  }
  void TearDown() override {
    controller_.reset();
    live_.reset();
    fs::remove_all(dir_);
  }

  void start(const std::string& text, bool watch) {
    write(text);
    auto loaded = loadConfiguration(options_.load, 1);
    ASSERT_TRUE(loaded) << loaded.error();
    live_ = std::make_unique<LiveConfig>(loaded->snapshot, loaded->registry);
    endpoints_.replace(staticEndpoints(loaded->snapshot->config));
    options_.watch = watch;
    controller_ = std::make_unique<ReloadController>(options_, *live_, endpoints_, *loaded);
    controller_->start();
  }
  void write(const std::string& text) {
    fs::path tmp = dir_ / ".config.yaml.tmp";
    std::ofstream(tmp) << text;
    fs::rename(tmp, dir_ / "config.yaml");
  }
  uint64_t generation() const { return live_->current()->generation; }

  fs::path dir_;
  ReloadController::Options options_;
  std::unique_ptr<LiveConfig> live_;
  datalayer::EndpointStore endpoints_;
  std::unique_ptr<ReloadController> controller_;
};

TEST_F(ReloadControllerTest, UnchangedSuccessAndFailure) {
  start(configText(2), false);
  ReloadOutcome same = controller_->reloadNow("test");
  EXPECT_EQ(same.result, "unchanged");
  EXPECT_EQ(generation(), 1u);

  write(configText(5));
  ReloadOutcome ok = controller_->reloadNow("test");
  EXPECT_EQ(ok.result, "success") << ok.error;
  EXPECT_EQ(ok.generation, 2u);
  EXPECT_EQ(ok.previousGeneration, 1u);
  // A weight is not a plugin parameter: all carried over (the injected profile handler,
  // utilization-detector, fcfs-ordering-policy and global-strict-fairness-policy too).
  EXPECT_EQ(ok.carriedOver, 6u);
  EXPECT_EQ(ok.instances, 6u);
  EXPECT_EQ(generation(), 2u);
  EXPECT_EQ(live_->current()->scheduler.profiles[0].scorers[0].weight, 5);

  ConfigSnapshotPtr before = live_->current();
  write(configText(5, "- type: no-such-scorer\n"));
  ReloadOutcome bad = controller_->reloadNow("test");
  EXPECT_EQ(bad.result, "failure");
  EXPECT_THAT(bad.error, HasSubstr("config.yaml:6:9"));
  EXPECT_THAT(bad.error, HasSubstr("no-such-scorer"));
  EXPECT_EQ(bad.generation, 2u);
  EXPECT_EQ(live_->current(), before);
  ASSERT_TRUE(controller_->lastOutcome());
  EXPECT_EQ(controller_->lastOutcome()->result, "failure");

  write("plugins: [\n");
  ReloadOutcome syntax = controller_->reloadNow("test");
  EXPECT_EQ(syntax.result, "failure");
  EXPECT_THAT(syntax.error, HasSubstr("config.yaml:"));
  EXPECT_EQ(live_->current(), before);
}

TEST_F(ReloadControllerTest, AFileChangeReloadsWithinTheDebounce) {
  start(configText(2), true);
  auto t0 = std::chrono::steady_clock::now();
  write(configText(7));
  while (generation() < 2 && std::chrono::steady_clock::now() - t0 < 3s) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(generation(), 2u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  // The outcome is recorded just after the publish.
  while (!controller_->lastOutcome() && std::chrono::steady_clock::now() - t0 < 3s) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(controller_->lastOutcome());
  EXPECT_THAT(controller_->lastOutcome()->trigger, HasSubstr("config.yaml"));
}

TEST_F(ReloadControllerTest, OldSnapshotsLiveWhileHeldAndAreReportedAsRetained) {
  start(configText(2), false);
  ConfigSnapshotPtr held = live_->current();
  write(configText(3));
  ASSERT_EQ(controller_->reloadNow("test").result, "success");
  EXPECT_EQ(live_->retainedGenerations(), std::vector<uint64_t>{1});
  EXPECT_EQ(live_->liveSnapshots().size(), 2u);
  held.reset();
  EXPECT_TRUE(live_->retainedGenerations().empty());
  EXPECT_EQ(live_->liveSnapshots().size(), 1u);
}

TEST_F(ReloadControllerTest, TooManyRetainedSnapshotsAreLogged) {
  auto text = [](int weight) { return configText(weight) + "server: {maxRetainedSnapshots: 1}\n"; };
  std::ostringstream logged;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logged);
  common::logger()->sinks().push_back(sink);
  start(text(2), false);
  std::vector<ConfigSnapshotPtr> held = {live_->current()};  // requests still running
  write(text(3));
  ASSERT_EQ(controller_->reloadNow("test").result, "success");
  held.push_back(live_->current());
  write(text(4));
  ASSERT_EQ(controller_->reloadNow("test").result, "success");
  // The warning comes from the reload thread right after the attempt.
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (logged.str().find("maxRetainedSnapshots") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  controller_->stop();
  auto& sinks = common::logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
  EXPECT_THAT(logged.str(), HasSubstr("2 old config snapshots are still held"));
  EXPECT_THAT(logged.str(), HasSubstr("generations [1, 2]"));
  EXPECT_EQ(live_->retainedGenerations(), (std::vector<uint64_t>{1, 2}));
  held.clear();
  EXPECT_TRUE(live_->retainedGenerations().empty());
}

TEST_F(ReloadControllerTest, NewStaticEndpointsKeepWhatWasLearntAboutTheOldOnes) {
  start(configText(2), false);
  endpoints_.update([](std::vector<datalayer::EndpointState>& states) {
    states[1].waiting = 42;
    states[1].hasMetrics = true;
    return true;
  });
  std::string text = configText(2) + "- {address: 10.0.0.3, port: 8000}\n";
  write(text);
  ASSERT_EQ(controller_->reloadNow("test").result, "success");
  auto eps = endpoints_.current();
  ASSERT_EQ(eps->size(), 3u);
  EXPECT_EQ(eps->state(1).waiting, 42);
  EXPECT_FALSE(eps->state(2).hasMetrics);
}

// Reload under load, in process so that ThreadSanitizer judges it (tools/tsan.sh): request
// threads decide on whatever snapshot is live while reloads swap it and a scraper-like
// thread publishes endpoint states. Every decision is routed, every reload succeeds.
TEST_F(ReloadControllerTest, ReloadsUnderConcurrentDecisionsLoseNoRequest) {
  start(configText(1), false);
  DecisionLog decisions(64);
  Pipeline pipeline([this] { return live_->current(); }, endpoints_, decisions);
  std::atomic<bool> stop{false};
  std::atomic<int> routed{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        auto in = std::make_shared<extproc::RequestInput>();
        in->requestId = "r" + std::to_string(t) + "-" + std::to_string(i);
        in->headers = {{":path", "/v1/completions"}, {":method", "POST"}};
        in->body = R"({"model":"m","prompt":"hello )" + std::to_string(i % 7) + R"("})";
        extproc::RoutingDecision d = pipeline.decide(in);
        (d.httpStatus == 0 && !d.destination.empty() ? routed : failed).fetch_add(1);
      }
    });
  }
  threads.emplace_back([&] {
    for (int64_t n = 0; !stop.load(); ++n) {
      endpoints_.update([&](std::vector<datalayer::EndpointState>& states) {
        for (auto& e : states) {
          e.waiting = n % 5;
          e.hasMetrics = true;
          e.metricsUpdatedNs = common::monotonicNowNs();
        }
        return true;
      });
      std::this_thread::sleep_for(1ms);
    }
  });
  const uint64_t first = generation();
  constexpr int kReloads = 20;
  for (int i = 0; i < kReloads; ++i) {
    write(configText(2 + i));
    ReloadOutcome o = controller_->reloadNow("test");
    EXPECT_EQ(o.result, "success") << o.error;
    std::this_thread::sleep_for(5ms);
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(generation(), first + kReloads);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(routed.load(), kReloads);
}

TEST_F(ReloadControllerTest, RequestsAfterStopAreRefused) {
  start(configText(2), false);
  controller_->stop();
  ReloadOutcome o = controller_->reloadNow("late");
  EXPECT_EQ(o.result, "failure");
  EXPECT_THAT(o.error, HasSubstr("not accepting"));
}

}  // namespace
}  // namespace epp::runtime

// Scenario burst-shedding: a burst beyond capacity is queued and shed by priority.
//
// Eight critical clients keep the fleet full for the whole scenario (capacity is 4 requests
// in flight, so about 4 critical requests are always waiting in eppd). Then 20 sheddable
// requests arrive at once: 4 fit in their band's queue, 16 are refused at once (429); the
// 4 queued never get a slot, because critical requests always go first, and are refused when
// their 1.5 s are up (503). Every critical request is served.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <ostream>
#include <thread>

#include "tests/integration/wait_until.h"
#include "tools/scenarios/harness.h"

namespace epp::scenarios {

namespace {

using nlohmann::json;

constexpr int kCriticalClients = 8;
constexpr int kBurst = 20;
constexpr int kSheddableBand = 4;  // the band's maxRequests in burst-shedding.yaml
const HeaderList kCritical = {{"x-gateway-inference-objective", "critical"}};
const HeaderList kSheddable = {{"x-gateway-inference-objective", "sheddable"}};

std::string bandLine(const json& fc) {
  std::string out;
  for (const auto& b : fc["bands"]) {
    out += fmt::format("{}band {}: {} queued", out.empty() ? "" : "; ", b["priority"].get<int>(),
                       b["queued"].get<size_t>());
  }
  return out;
}

// "200 x36" or "429 x16, 503 x4".
std::string statuses(const std::map<int, int>& counts) {
  std::string out;
  for (const auto& [status, n] : counts) {
    out += fmt::format("{}{} x{}", out.empty() ? "" : ", ", status, n);
  }
  return out;
}

size_t queuedIn(const json& fc, int priority) {
  for (const auto& b : fc["bands"]) {
    if (b["priority"] == priority) return b["queued"].get<size_t>();
  }
  return 0;
}

}  // namespace

Report runBurstShedding(const Options& options) {
  Report report;
  Stage stage(options, "burst-shedding", {{2, {}}});
  if (!report.check(stage.ready(), "the fleet and eppd start", stage.error())) return report;
  std::ostream& out = stage.out();
  out << "  fleet: 2 eppd-sim servers; eppd lets 2 requests per server run, 4 in all\n";

  // The critical clients: each sends its next request when the last is answered.
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::map<int, int> criticalStatus;
  std::vector<std::thread> critical;
  for (int c = 0; c < kCriticalClients; ++c) {
    critical.emplace_back([&, c] {
      for (int seq = 0; !stop; ++seq) {
        Outcome o = stage.send({.id = fmt::format("critical-{}-{}", c, seq),
                                .model = "sim-model",
                                .prompt = fmt::format("Critical {} {}", c, seq),
                                .maxTokens = 100,
                                .headers = kCritical,
                                .timeout = std::chrono::seconds(30)});
        std::lock_guard<std::mutex> lock(mutex);
        ++criticalStatus[o.status];
      }
    });
  }
  auto stopCritical = [&] {
    stop = true;
    for (auto& t : critical) t.join();
    critical.clear();
  };
  bool saturated = testing::waitUntil(
      [&] { return queuedIn(stage.admin("/flowcontrol"), 100) >= 2; }, std::chrono::seconds(5));
  if (!report.check(saturated, "8 critical clients fill the fleet and queue in eppd")) {
    stopCritical();
    return report;
  }
  out << fmt::format("  {} critical clients keep it full; /flowcontrol: {}\n", kCriticalClients,
                     bandLine(stage.admin("/flowcontrol")));

  // The burst: all sheddable requests at once.
  std::vector<Outcome> burst(kBurst);
  std::vector<std::thread> senders;
  for (int i = 0; i < kBurst; ++i) {
    senders.emplace_back([&, i] {
      burst[i] = stage.send({.id = fmt::format("sheddable-{}", i),
                             .model = "sim-model",
                             .prompt = fmt::format("Batch job {}", i),
                             .maxTokens = 100,
                             .headers = kSheddable,
                             .timeout = std::chrono::seconds(30)});
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  out << fmt::format("  {} sheddable requests at once; half a second later /flowcontrol: {}\n",
                     kBurst, bandLine(stage.admin("/flowcontrol")));
  for (auto& t : senders) t.join();
  stopCritical();

  std::map<int, int> shedStatus;
  std::string first429, first503;
  double slowest429 = 0, fastest503 = 1e9;
  int reachedServer = 0;
  for (const Outcome& o : burst) {
    ++shedStatus[o.status];
    reachedServer += !o.endpoint.empty();
    if (o.status == 429) {
      if (first429.empty()) first429 = o.id;
      slowest429 = std::max(slowest429, o.seconds);
    }
    if (o.status == 503) {
      if (first503.empty()) first503 = o.id;
      fastest503 = std::min(fastest503, o.seconds);
    }
  }
  int criticalSent = 0;
  for (const auto& [status, n] : criticalStatus) criticalSent += n;

  // What the critical requests went through, from /decisions.
  json decisions = stage.admin("/decisions?n=1000");
  int queuedCritical = 0;
  double longestWait = 0;
  std::string waitedId;
  for (const auto& d : decisions["decisions"]) {
    if (d.value("priority", 0) != 100 || !d.contains("queue")) continue;
    const double wait = d["queue"].value("waitMs", 0.0);
    if (d["queue"].value("outcome", "") == "Dispatched" && wait > 1) ++queuedCritical;
    if (wait > longestWait) {
      longestWait = wait;
      waitedId = d.value("requestId", "");
    }
  }

  out << fmt::format("\n  critical: {} requests, answered {}\n", criticalSent,
                     statuses(criticalStatus));
  if (!waitedId.empty()) {
    out << "  the critical request that waited longest, from /decisions:\n"
        << stage.explain(waitedId, 2);
  }
  out << fmt::format("\n  sheddable: {} requests, answered {}\n", kBurst, statuses(shedStatus));
  if (!first429.empty()) {
    out << "  one refused at once, from /decisions:\n" << stage.explain(first429);
  }
  if (!first503.empty()) {
    out << "  one that waited its 1.5 s, from /decisions:\n" << stage.explain(first503);
  }

  report.check(criticalSent > 0 && criticalStatus[200] == criticalSent,
               "every critical request was served (200)",
               fmt::format("{} of {}", criticalStatus[200], criticalSent));
  report.check(queuedCritical > 0,
               "critical requests waited in eppd's queue rather than on the servers",
               fmt::format("{} waited, the longest {:.0f} ms", queuedCritical, longestWait));
  report.check(
      shedStatus[429] == kBurst - kSheddableBand && slowest429 < 1.0,
      "the sheddable requests beyond the band's 4 places got 429 at once",
      fmt::format("{} got 429, the slowest after {:.0f} ms", shedStatus[429], 1000 * slowest429));
  report.check(shedStatus[503] == kSheddableBand && fastest503 >= 1.4,
               "the 4 queued sheddable requests got 503 after their 1.5 s in the queue",
               fmt::format("{} got 503, the first after {:.0f} ms", shedStatus[503],
                           fastest503 < 1e9 ? 1000 * fastest503 : 0.0));
  report.check(reachedServer == 0,
               "no sheddable request reached a server while critical "
               "requests waited",
               fmt::format("{} did", reachedServer));
  report.check(stage.awaitMetric(R"(eppd_admission_rejections_total{reason="capacity"})",
                                 kBurst - kSheddableBand) == kBurst - kSheddableBand &&
                   stage.awaitMetric(R"(eppd_admission_rejections_total{reason="ttl"})",
                                     kSheddableBand) == kSheddableBand,
               "eppd_admission_rejections_total counts them by reason (capacity, ttl)");
  return report;
}

}  // namespace epp::scenarios

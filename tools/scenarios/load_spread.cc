// Scenario load-spread: base-model requests spread by load.
//
// 16 clients send requests back to back (each waits for its answer) for a few seconds.
// eppd sees each server's queue and KV-cache use (scraped) and its own count of requests in
// flight there; the slow server keeps its requests longer, so it is picked less. Checked:
// every request answered 200, every server used, the slow one given the smallest share and
// the three fast ones even shares.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <ostream>
#include <thread>

#include "tools/scenarios/harness.h"

namespace epp::scenarios {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kClients = 16;

// About 300 tokens, different for every request (no prefix cache in this scenario).
std::string prompt(int client, int seq) {
  std::string text =
      fmt::format("Client {} request {}: summarise the following notes.", client, seq);
  while (text.size() < 1200) text += fmt::format(" Note {} of client {}.", text.size(), client);
  return text;
}

struct Served {
  int requests = 0;
  double seconds = 0;
};

}  // namespace

Report runLoadSpread(const Options& options) {
  Report report;
  const std::vector<std::string> common = {"--max-num-seqs", "4", "--num-gpu-blocks", "400"};
  std::vector<std::string> slow = common;
  slow.insert(slow.end(), {"--decode-base-ms", "60"});
  Stage stage(options, "load-spread", {{3, common}, {1, slow}});
  if (!report.check(stage.ready(), "the fleet and eppd start", stage.error())) return report;
  std::ostream& out = stage.out();
  const auto duration = std::chrono::milliseconds(stage.shortRun() ? 2000 : 8000);
  out << fmt::format(
      "  fleet: 4 eppd-sim servers, at most 4 running requests each; slow-4 is 3x slower per "
      "token\n  load: {} clients, each sending its next request when the last is answered, for "
      "{:.0f} s\n",
      kClients, std::chrono::duration<double>(duration).count());

  std::mutex mutex;
  std::map<std::string, Served> served;
  int failed = 0, violations = 0;
  const Clock::time_point end = Clock::now() + duration;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int seq = 0; Clock::now() < end; ++seq) {
        Outcome o = stage.send({.id = fmt::format("c{}-{}", c, seq),
                                .model = "sim-model",
                                .prompt = prompt(c, seq),
                                .maxTokens = 24});
        std::lock_guard<std::mutex> lock(mutex);
        violations += !o.violations.empty();
        if (o.status != 200 || o.endpoint.empty()) {
          ++failed;
          continue;
        }
        served[o.endpoint].requests += 1;
        served[o.endpoint].seconds += o.seconds;
      }
    });
  }
  // Half way through: what eppd sees, and its latest decision.
  std::this_thread::sleep_for(duration / 2);
  nlohmann::json state = stage.admin("/endpoints");
  nlohmann::json midway = stage.admin("/decisions?n=1");
  for (auto& t : clients) t.join();

  out << "  half way through, eppd sees:\n" << endpointTable(state);
  if (midway.contains("decisions") && !midway["decisions"].empty()) {
    out << "  and decided, for the request it had just scheduled:\n"
        << stage.explainEntry(midway["decisions"][0]);
  }
  int total = 0;
  for (const auto& [name, s] : served) total += s.requests;
  out << fmt::format(
      "\n  {} requests answered; share per server (round-robin would give each "
      "25%):\n",
      total);
  std::map<std::string, int> counts;
  for (const auto& name : stage.names()) {
    const Served& s = served[name];
    counts[name] = s.requests;
    out << fmt::format("    {:<7} {:>5} requests  {:>4}  mean latency {:>4.0f} ms\n", name,
                       s.requests, percent(s.requests, total),
                       s.requests > 0 ? 1000 * s.seconds / s.requests : 0.0);
  }

  report.check(failed == 0 && violations == 0 && total > 0,
               "every request was answered 200 by a simulator, with well-formed ext_proc replies",
               fmt::format("{} answered, {} failed, {} with protocol violations", total, failed,
                           violations));
  int fastMin = total, fastMax = 0;
  for (const auto& name : {"fast-1", "fast-2", "fast-3"}) {
    fastMin = std::min(fastMin, counts[name]);
    fastMax = std::max(fastMax, counts[name]);
  }
  const int slowCount = counts["slow-4"];
  report.check(slowCount > 0 && fastMin > 0, "every server got work", tally(counts, stage.names()));
  report.check(slowCount < fastMin,
               "the slow server got the smallest share (its requests stay in flight longer)",
               fmt::format("slow-4 {} vs the fast servers' {} to {}", percent(slowCount, total),
                           percent(fastMin, total), percent(fastMax, total)));
  report.check(fastMin > 0 && fastMax <= 1.5 * fastMin,
               "the three equal servers got even shares (largest at most 1.5x the smallest)",
               fmt::format("{} to {}", fastMin, fastMax));
  return report;
}

}  // namespace epp::scenarios

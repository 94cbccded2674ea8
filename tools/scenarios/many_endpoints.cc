// Scenario many-endpoints: sixteen servers, several plugins deciding together.
//
// Single requests first, each explained: with nothing cached and the fleet idle, price
// decides (an L40S); a request that needs 80 GB keeps only H100 and A100 servers and gets
// the cheaper A100; one that needs an H100 gets an H100. A long document sent once (needing
// 80 GB) and then again without any requirement goes back to the same A100: the cached
// prefix outweighs the cheaper L40S. Then 24 clients with mixed requirements load the fleet
// for a few seconds: no request may land on a server that does not meet its requirement;
// requests without one go to the L40S servers most, spilling to dearer idle ones when the
// L40S servers are busy.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <ostream>
#include <thread>

#include "tools/scenarios/harness.h"

namespace epp::scenarios {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

const HeaderList kNeeds80Gb = {{"x-gateway-min-gpu-memory-gb", "80"}};
const HeaderList kNeedsH100 = {{"x-gateway-require-gpu", "H100"}};

// A few thousand characters every "document" request starts with.
std::string document() {
  std::string text = "You are a contracts assistant. The contract follows.\n";
  for (int i = 1; text.size() < 3000; ++i) {
    text += fmt::format("Clause {}: the supplier delivers batch {} within {} days of the order. ",
                        i, i * 7, 10 + i % 20);
  }
  return text;
}

}  // namespace

Report runManyEndpoints(const Options& options) {
  Report report;
  Stage stage(options, "many-endpoints", {{16, {"--max-num-seqs", "1"}}});
  if (!report.check(stage.ready(), "the fleet and eppd start", stage.error())) return report;
  std::ostream& out = stage.out();
  json endpoints = stage.admin("/endpoints");
  std::map<std::string, std::string> gpu;
  for (const auto& e : endpoints["endpoints"]) {
    gpu[e["name"].get<std::string>()] = e["labels"].value("eppd.io/gpu-type", "");
  }
  out << "  fleet: 16 eppd-sim servers from one process, labelled by GPU type, memory and "
         "cost:\n"
      << endpointTable(endpoints, {"eppd.io/gpu-type", "eppd.io/gpu-memory-gb", "eppd.io/cost"});

  auto probe = [&](const std::string& id, const std::string& prompt, const HeaderList& headers,
                   const std::string& what, bool explain) {
    stage.waitIdle();
    Outcome o = stage.send(
        {.id = id, .model = "sim-model", .prompt = prompt, .maxTokens = 8, .headers = headers});
    out << fmt::format("\n  {} -> {} ({}, status {})\n", what, o.endpoint, gpu[o.endpoint],
                       o.status);
    if (explain) out << stage.explain(id, 6);
    return o;
  };

  Outcome plain = probe("plain", "What is 2 + 2?", {}, "a short request, no requirement", true);
  report.check(plain.status == 200 && gpu[plain.endpoint] == "L40S",
               "with nothing cached and the fleet idle, price decides: an L40S", plain.endpoint);
  Outcome big = probe("needs-80gb", "What is 3 + 3?", kNeeds80Gb,
                      "a request needing 80 GB (x-gateway-min-gpu-memory-gb: 80)", true);
  report.check(big.status == 200 && gpu[big.endpoint] == "A100",
               "a request needing 80 GB skips the L40S servers and takes the cheaper A100",
               big.endpoint);
  Outcome h100 = probe("needs-h100", "What is 4 + 4?", kNeedsH100,
                       "a request needing an H100 (x-gateway-require-gpu: H100)", false);
  report.check(h100.status == 200 && gpu[h100.endpoint] == "H100",
               "a request needing an H100 gets one", h100.endpoint);

  const std::string doc = document();
  Outcome first = probe("document-1", doc + "\nWho delivers batch 7?", kNeeds80Gb,
                        "a long document, needing 80 GB", false);
  Outcome again = probe("document-2", doc + "\nWithin how many days?", {},
                        "the same document again, no requirement", true);
  report.check(first.status == 200 && again.status == 200 && !first.endpoint.empty() &&
                   again.endpoint == first.endpoint,
               "the repeated document goes back to the server holding its prefix, not to a "
               "cheaper L40S",
               fmt::format("{} then {}", first.endpoint, again.endpoint));
  json d = stage.decision("document-2");
  std::vector<std::string> scorers;
  size_t complete = 0;
  if (!d.is_null() && !d["profiles"].empty()) {
    for (const auto& s : d["profiles"][0]["scorers"]) {
      scorers.push_back(s["plugin"].get<std::string>());
      complete += s["scores"].size() == 16;
    }
  }
  report.check(scorers.size() == 5 && complete == 5,
               "/decisions shows every scorer's raw and weighted score for all 16 servers",
               fmt::format("{} scorers ({}), {} with 16 scores", scorers.size(),
                           fmt::join(scorers, ", "), complete));

  // Load with mixed requirements: 4 clients need an H100, 4 need 80 GB, 16 need nothing.
  const auto duration = std::chrono::milliseconds(stage.shortRun() ? 1500 : 6000);
  // Most clients state no requirement: more than the six L40S servers run at once (2 each),
  // so their queues grow and the queue score weighs against the price.
  constexpr int kClients = 24;
  const char* kinds[] = {"H100 required", "80 GB required", "no requirement"};
  auto kindOf = [](int client) { return client < 4 ? 0 : client < 8 ? 1 : 2; };
  std::mutex mutex;
  std::map<std::string, std::map<std::string, int>> byKind;  // kind -> gpu -> requests
  std::map<std::string, int> perServer;
  int unmet = 0, failed = 0;
  const Clock::time_point end = Clock::now() + duration;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      const int kind = kindOf(c);
      const HeaderList headers = kind == 0 ? kNeedsH100 : kind == 1 ? kNeeds80Gb : HeaderList{};
      for (int seq = 0; Clock::now() < end; ++seq) {
        Outcome o = stage.send({.id = fmt::format("load-{}-{}", c, seq),
                                .model = "sim-model",
                                .prompt = fmt::format("Client {} asks question {} about the "
                                                      "fleet, padded to a few blocks of text "
                                                      "so that it is hashed like real prompts.",
                                                      c, seq),
                                .maxTokens = 64,
                                .headers = headers});
        std::lock_guard<std::mutex> lock(mutex);
        if (o.status != 200 || o.endpoint.empty()) {
          ++failed;
          continue;
        }
        const std::string& type = gpu[o.endpoint];
        ++byKind[kinds[kind]][type];
        ++perServer[o.endpoint];
        unmet += (kind == 0 && type != "H100") || (kind == 1 && type == "L40S");
      }
    });
  }
  std::this_thread::sleep_for(duration / 2);
  json state = stage.admin("/endpoints");
  for (auto& t : clients) t.join();
  // A request without a requirement that went to a dearer server (the L40S servers were
  // busier), or else the latest one without a requirement.
  json shown;
  json recent = stage.admin("/decisions?n=1000");
  for (const auto& entry : recent["decisions"]) {
    int client = -1;
    if (std::sscanf(entry.value("requestId", "").c_str(), "load-%d-", &client) != 1 ||
        kindOf(client) != 2) {
      continue;
    }
    if (shown.is_null()) shown = entry;
    if (gpu[stage.nameOf(entry.value("pick", ""))] != "L40S") {
      shown = entry;
      break;
    }
  }
  int total = 0;
  for (const auto& [name, n] : perServer) total += n;
  out << fmt::format(
      "\n  load: {} clients with mixed requirements for {:.1f} s, {} requests; "
      "where each kind went:\n",
      kClients, std::chrono::duration<double>(duration).count(), total);
  for (const char* kind : kinds) {
    out << fmt::format("    {:<15} {}\n", kind, tally(byKind[kind], {"H100", "A100", "L40S"}));
  }
  out << fmt::format("  {} of 16 servers used. Half way through, eppd saw:\n", perServer.size())
      << endpointTable(state, {"eppd.io/gpu-type"});
  if (!shown.is_null()) {
    const bool spilled = gpu[stage.nameOf(shown.value("pick", ""))] != "L40S";
    out << (spilled ? "  a request without a requirement that went to a dearer server, the L40S "
                      "servers being busier:\n"
                    : "  the last request without a requirement:\n")
        << stage.explainEntry(shown, 8);
  }
  report.check(failed == 0 && total > 0, "every request of the load was answered 200",
               fmt::format("{} answered, {} failed", total, failed));
  report.check(unmet == 0, "no request landed on a server that does not meet its requirement",
               fmt::format("{} did", unmet));
  std::map<std::string, int>& free = byKind[kinds[2]];
  report.check(free["L40S"] > free["A100"] && free["L40S"] > free["H100"],
               "requests without a requirement went to the cheap L40S servers most",
               tally(free, {"H100", "A100", "L40S"}));
  return report;
}

}  // namespace epp::scenarios

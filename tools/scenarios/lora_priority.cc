// Scenario lora-priority: critical requests for a LoRA adapter go where it is loaded.
//
// sim-1 is already serving sql-lora (three long requests), sim-4's only adapter slot holds
// chat-lora (one long request), sim-2 and sim-3 are idle with a free slot. Critical
// requests for sql-lora must all go to sim-1, the one server that runs it without loading
// it, busy as it is; a critical chat-lora request to sim-4. Standard requests for sql-lora
// weigh load against affinity and go to an idle server with a free slot instead.
#include <fmt/format.h>

#include <map>
#include <ostream>

#include "tools/scenarios/harness.h"

namespace epp::scenarios {

namespace {

constexpr int kLongTokens = 20000;  // 40 s at time scale 10: outlasts the scenario

struct Probe {
  std::map<std::string, int> where;
  int served = 0;  // 200 from the simulator, answered under the adapter's name
  std::string firstId;
};

Probe sendProbes(Stage& stage, const std::string& prefix, const std::string& model,
                 const std::string& objective, int count) {
  Probe p;
  for (int i = 1; i <= count; ++i) {
    Request r{.id = fmt::format("{}-{}", prefix, i),
              .model = model,
              .prompt = fmt::format("Query {} for {}", i, model),
              .maxTokens = 8,
              .headers = {{"x-gateway-inference-objective", objective}}};
    Outcome o = stage.send(r);
    ++p.where[o.endpoint.empty() ? fmt::format("refused {}", o.status) : o.endpoint];
    p.served += o.status == 200 && o.clientModel == model && o.upstreamModel == model;
    if (i == 1) p.firstId = r.id;
  }
  return p;
}

}  // namespace

Report runLoraPriority(const Options& options) {
  Report report;
  Stage stage(
      options, "lora-priority",
      {{4, {"--model", "llama-3-8b", "--lora-modules", "sql-lora,chat-lora", "--max-loras", "1"}}});
  if (!report.check(stage.ready(), "the fleet and eppd start", stage.error())) return report;
  std::ostream& out = stage.out();
  out << "  fleet: 4 eppd-sim servers of llama-3-8b, adapters sql-lora and chat-lora, one "
         "adapter slot each\n";

  HeldRequests held;
  held.add(stage.port("sim-1"), "sql-lora", 3, kLongTokens);
  held.add(stage.port("sim-4"), "chat-lora", 1, kLongTokens);
  bool seen = stage.waitForEndpoints([](const nlohmann::json& doc) {
    nlohmann::json one = endpointNamed(doc, "sim-1"), four = endpointNamed(doc, "sim-4");
    return hasActiveLora(one, "sql-lora") && one["metrics"]["running"] == 3 &&
           hasActiveLora(four, "chat-lora");
  });
  if (!report.check(seen, "eppd sees sim-1 serving sql-lora and sim-4 serving chat-lora")) {
    return report;
  }
  out << "  other traffic, sent straight to the servers: 3 long sql-lora requests on sim-1, "
         "1 long chat-lora request on sim-4\n  what eppd sees:\n"
      << endpointTable(stage.admin("/endpoints"), {}, true);

  const int n = stage.shortRun() ? 3 : 10;
  Probe critical = sendProbes(stage, "critical-sql", "sql-lora", "critical", n);
  out << fmt::format("\n  {} critical requests for sql-lora -> {}\n", n,
                     tally(critical.where, stage.names()))
      << "  the first, from /decisions:\n"
      << stage.explain(critical.firstId);
  report.check(critical.where["sim-1"] == n,
               "every critical sql-lora request went to sim-1, the server with sql-lora loaded",
               tally(critical.where, stage.names()));
  report.check(critical.served == n, "each was answered 200 by the simulator as sql-lora",
               fmt::format("{} of {}", critical.served, n));

  Probe chat = sendProbes(stage, "critical-chat", "chat-lora", "critical", 1);
  out << fmt::format("\n  1 critical request for chat-lora -> {}\n",
                     tally(chat.where, stage.names()))
      << stage.explain(chat.firstId);
  report.check(chat.where["sim-4"] == 1 && chat.served == 1,
               "a critical chat-lora request went to sim-4, where chat-lora is loaded",
               tally(chat.where, stage.names()));

  Probe standard = sendProbes(stage, "standard-sql", "sql-lora", "standard", n);
  out << fmt::format("\n  {} standard requests for sql-lora -> {}\n", n,
                     tally(standard.where, stage.names()))
      << "  the first, from /decisions:\n"
      << stage.explain(standard.firstId);
  const int toIdle = standard.where["sim-2"] + standard.where["sim-3"];
  report.check(toIdle == n && standard.served == n,
               "standard sql-lora requests went to idle servers with a free adapter slot "
               "(sim-2, sim-3), not to the busy sim-1",
               tally(standard.where, stage.names()));
  return report;
}

}  // namespace epp::scenarios

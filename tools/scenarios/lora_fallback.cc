// Scenario lora-fallback: a LoRA request no server can take goes to the base model.
//
// Every server's only adapter slot is busy with chat-lora (a long request each). A request
// for sql-lora is sent upstream as llama-3-8b and answered; the client still reads
// "sql-lora". audit-lora, whose fallback is off, gets 503. Once sim-3's slot frees, sql-lora
// is served as itself again: the fallback is taken only while it is needed.
#include <fmt/format.h>

#include <algorithm>

#include <ostream>

#include "tools/scenarios/harness.h"

namespace epp::scenarios {

Report runLoraFallback(const Options& options) {
  Report report;
  Stage stage(options, "lora-fallback",
              {{3,
                {"--model", "llama-3-8b", "--lora-modules", "sql-lora,chat-lora,audit-lora",
                 "--max-loras", "1"}}});
  if (!report.check(stage.ready(), "the fleet and eppd start", stage.error())) return report;
  std::ostream& out = stage.out();
  out << "  fleet: 3 eppd-sim servers of llama-3-8b, adapters sql-lora, chat-lora and "
         "audit-lora, one adapter slot each\n";

  HeldRequests held;
  for (const auto& name : stage.names()) held.add(stage.port(name), "chat-lora", 1, 20000);
  auto everySlotTaken = [&](const nlohmann::json& doc) {
    for (const auto& name : stage.names()) {
      if (!hasActiveLora(endpointNamed(doc, name), "chat-lora")) return false;
    }
    return true;
  };
  if (!report.check(stage.waitForEndpoints(everySlotTaken),
                    "eppd sees chat-lora in every server's only slot")) {
    return report;
  }
  out << "  other traffic, sent straight to the servers: one long chat-lora request each\n"
         "  what eppd sees:\n"
      << endpointTable(stage.admin("/endpoints"), {}, true);

  const std::string fallbackSample =
      R"(eppd_lora_fallback_total{base_model="llama-3-8b",model_name="sql-lora",)"
      R"(outcome="base-model"})";
  const double fallbacksBefore = stage.metric(fallbackSample);
  const int n = stage.shortRun() ? 2 : 8;
  int fellBack = 0;
  for (int i = 1; i <= n; ++i) {
    Outcome o = stage.send({.id = fmt::format("sql-{}", i),
                            .model = "sql-lora",
                            .prompt = fmt::format("SELECT {} FROM orders", i)});
    if (i == 1) {
      out << fmt::format(
                 "\n  sql-lora -> {} (status {}); eppd sent model {} upstream, the client "
                 "read model {}\n",
                 o.endpoint, o.status, o.upstreamModel, o.clientModel)
          << stage.explain(o.id);
    }
    fellBack += o.status == 200 && o.upstreamModel == "llama-3-8b" && o.clientModel == "sql-lora";
  }
  report.check(fellBack == n,
               "sql-lora requests were served by the base model llama-3-8b, the client's answer "
               "still naming sql-lora",
               fmt::format("{} of {}", fellBack, n));
  nlohmann::json first = stage.decision("sql-1");
  report.check(!first.is_null() && first["routing"].value("loraFallback", "") == "base-model",
               "/decisions records the fallback (routing.loraFallback: base-model)");
  const double fallbacks = stage.awaitMetric(fallbackSample, std::max(fallbacksBefore, 0.0) + n);
  report.check(fallbacks - std::max(fallbacksBefore, 0.0) == n,
               "eppd_lora_fallback_total counts each one", fmt::format("{}", fallbacks));

  Outcome audit = stage.send({.id = "audit-1", .model = "audit-lora", .prompt = "Audit this"});
  out << fmt::format("\n  audit-lora (loraFallback: false) -> {} {}\n", audit.status, audit.error)
      << stage.explain(audit.id);
  report.check(audit.status == 503 && audit.endpoint.empty(),
               "audit-lora, whose fallback is off, got 503 and reached no server",
               fmt::format("{} {}", audit.status, audit.error));

  held.release(stage.port("sim-3"));
  bool freed = stage.waitForEndpoints([](const nlohmann::json& doc) {
    nlohmann::json three = endpointNamed(doc, "sim-3");
    return !three["metrics"].is_null() && three["metrics"]["activeLoras"].empty();
  });
  report.check(freed, "eppd sees sim-3's slot free once its chat-lora request ends");
  Outcome after = stage.send({.id = "sql-after", .model = "sql-lora", .prompt = "SELECT 1"});
  out << fmt::format(
             "\n  sim-3's chat-lora request ended; sql-lora -> {} (status {}), sent "
             "upstream as {}\n",
             after.endpoint, after.status, after.upstreamModel)
      << stage.explain(after.id);
  report.check(
      after.status == 200 && after.endpoint == "sim-3" && after.upstreamModel == "sql-lora",
      "with a free slot on sim-3, sql-lora went there as itself (no fallback)",
      fmt::format("{} as {}", after.endpoint, after.upstreamModel));
  return report;
}

}  // namespace epp::scenarios

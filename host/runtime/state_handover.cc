#include "host/runtime/state_handover.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <string>

#include "host/common/logging.h"
#include "host/common/metrics_registry.h"

namespace epp::runtime {
namespace {

using loader::HandoverResult;

void count(HandoverResult result) {
  static prometheus::Family<prometheus::Counter>& family =
      prometheus::BuildCounter()
          .Name("eppd_plugin_state_handover_total")
          .Help("State hand-overs from an instance to its re-created replacement, by result")
          .Register(common::metricsRegistry());
  family.Add({{"result", std::string(loader::handoverResultName(result))}}).Increment();
}

std::string side(const loader::PluginInstance& instance) {
  return fmt::format("{} {}", instance.library()->name(), instance.library()->version());
}

void report(const loader::PluginInstance& from, const loader::PluginInstance& to,
            const loader::StateExchange& outcome) {
  auto& log = *common::logger();
  const std::string who = fmt::format("plugin={} type={}", to.name(), to.typeName());
  switch (outcome.result) {
    case HandoverResult::kNotOffered:
      log.debug("{} state hand-over skipped: {}", who, outcome.message);
      return;
    case HandoverResult::kNothing:
      log.info("{} state hand-over from {} to {}: nothing to hand over", who, side(from), side(to));
      return;
    case HandoverResult::kImported:
      log.info("{} state hand-over from {} to {}: imported {} bytes of format '{}'", who,
               side(from), side(to), outcome.bytes, outcome.format);
      return;
    case HandoverResult::kRefused:
      log.warn(
          "{} state hand-over from {} to {}: {} bytes of format '{}' refused ({}); the new "
          "instance starts fresh",
          who, side(from), side(to), outcome.bytes, outcome.format, outcome.message);
      return;
    case HandoverResult::kFailed:
      log.warn("{} state hand-over from {} to {} failed ({}); the new instance starts fresh", who,
               side(from), side(to), outcome.message);
      return;
  }
}

}  // namespace

loader::StateExchange handOverState(const loader::PluginInstance& from,
                                    loader::PluginInstance& to) {
  loader::StateExchange outcome = loader::exchangeState(from, to);
  try {
    report(from, to, outcome);
    if (outcome.result != HandoverResult::kNotOffered) count(outcome.result);
  } catch (...) {
    // Logging and metrics must never fail a reload.
  }
  return outcome;
}

}  // namespace epp::runtime

#include "plugins/profile/adaptive_profile_handler/adaptive_profile_handler.h"

#include <algorithm>
#include <string>
#include <vector>

#include "plugins/common/one_primary_result.h"

namespace epp::plugins {
namespace {

using adaptive::Rule;

std::vector<Rule> readRules(const cpp::Params& params) {
  std::vector<Rule> rules;
  for (const cpp::Params* p : params.getMapList("rules")) {
    Rule r;
    r.profile = p->getString("profile", "");
    if (r.profile.empty())
      throw cpp::Error("rules[" + std::to_string(rules.size()) + "]: profile is required");
    const std::string where = "rules[" + std::to_string(rules.size()) + "] (" + r.profile + ")";
    int64_t priority = p->getInt("priorityAtLeast", INT64_MIN);
    std::string signal = p->getString("signal", "");
    double enter = p->getDouble("enterAbove", -1);
    double exit = p->getDouble("exitBelow", -1);
    if (priority != INT64_MIN) {
      if (!signal.empty() || enter >= 0 || exit >= 0) {
        throw cpp::Error(where + ": a rule tests either priorityAtLeast or a pool signal");
      }
      r.priorityAtLeast = static_cast<int32_t>(priority);
    } else {
      auto parsed = adaptive::parseSignal(signal.empty() ? "kvCacheUtilization" : signal);
      if (!parsed) {
        throw cpp::Error(where + ": signal '" + signal +
                         "' is not one of kvCacheUtilization, queueDepth, inflight");
      }
      if (enter < 0) throw cpp::Error(where + ": enterAbove (>= 0) or priorityAtLeast is required");
      if (exit < 0) exit = enter;
      if (exit > enter) {
        throw cpp::Error(where + ": exitBelow (" + std::to_string(exit) +
                         ") must not be above enterAbove (" + std::to_string(enter) + ")");
      }
      r.signal = *parsed;
      r.enterAbove = enter;
      r.exitBelow = exit;
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

std::string requiredDefault(const cpp::Params& params) {
  std::string d = params.getString("defaultProfile", "default");
  if (d.empty()) throw cpp::Error("defaultProfile must name the profile when no rule holds");
  return d;
}

}  // namespace

AdaptiveProfileHandler::AdaptiveProfileHandler(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      rules_(readRules(ctx.params()), requiredDefault(ctx.params()),
             ctx.params().getDurationNs("minDwell", 5'000'000'000)) {
  ctx.params().finish();
  for (const Rule& r : rules_.rules()) needsPool_ = needsPool_ || !r.priorityAtLeast;
  // The host adds the plugin_name label (the handler's instance name) to each.
  active_ = registerMetric(EPP_METRIC_GAUGE, "eppd_adaptive_profile_active",
                           "1 for the profile the pool rules of an adaptive-profile-handler choose "
                           "now, 0 for its other profiles",
                           {"profile"});
  switches_ =
      registerMetric(EPP_METRIC_COUNTER, "eppd_adaptive_profile_switches_total",
                     "Changes of an adaptive-profile-handler's pool choice", {"from", "to"});
  cpp::Metric chosen = registerMetric(EPP_METRIC_COUNTER, "eppd_adaptive_profile_requests_total",
                                      "Requests an adaptive-profile-handler sent to each profile, "
                                      "by the rule that chose it (default: none held)",
                                      {"profile", "rule"});
  // Series resolved once: a request only adds to one.
  for (size_t i = 0; i < rules_.rules().size(); ++i) {
    chosenByRule_.push_back(
        chosen.series({rules_.rules()[i].profile, "rules[" + std::to_string(i) + "]"}));
  }
  chosenByRule_.push_back(chosen.series({rules_.defaultProfile(), "default"}));
  active_.series({rules_.defaultProfile()}).set(1);
  for (const Rule& r : rules_.rules()) {
    if (!r.priorityAtLeast && r.profile != rules_.defaultProfile()) {
      active_.series({r.profile}).set(0);
    }
  }
}

adaptive::PoolSignals AdaptiveProfileHandler::poolSignals(const cpp::Request& request) const {
  adaptive::PoolSignals s;
  epp_endpoint_list storage{};
  cpp::EndpointList pool = request.pool(&storage);
  if (pool.size() == 0) return s;
  for (size_t i = 0; i < pool.size(); ++i) {
    cpp::Endpoint e = pool[i];
    s.kvCacheUtilization += e.kvCacheUsage();
    s.queueDepth += static_cast<double>(e.waitingRequests());
    s.inflight += static_cast<double>(e.inflightRequests());
  }
  const double n = static_cast<double>(pool.size());
  s.kvCacheUtilization /= n;
  s.queueDepth /= n;
  s.inflight /= n;
  return s;
}

void AdaptiveProfileHandler::switched(const std::string& from, const std::string& to) {
  active_.series({from}).set(0);
  active_.series({to}).set(1);
  switches_.series({from, to}).add(1);
  log(cpp::LogLevel::kInfo, "pool choice " + from + " -> " + to);
}

void AdaptiveProfileHandler::pickProfiles(const cpp::Request& request,
                                          std::span<const std::string_view> names,
                                          const cpp::ProfileResults& results,
                                          std::span<uint8_t> run) {
  if (results.size() != 0) return;  // the chosen profile ran: done
  adaptive::PoolSignals pool = needsPool_ ? poolSignals(request) : adaptive::PoolSignals{};
  adaptive::Choice choice = rules_.choose(request.priority(), pool, request.receivedNs());
  if (choice.switched) switched(choice.switched->first, choice.switched->second);
  const std::string& profile = *choice.profile;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == profile) {
      run[i] = 1;
      chosenByRule_[std::min(choice.rule, rules_.rules().size())].add(1);
      return;
    }
  }
  throw cpp::Error("adaptive-profile-handler chose profile '" + profile +
                   "', which the config's schedulingProfiles do not define");
}

size_t AdaptiveProfileHandler::processResults(const cpp::Request&,
                                              const cpp::ProfileResults& results) {
  return onePrimaryResult("adaptive-profile-handler", results);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppAdaptiveProfileHandlerEntry, "adaptive-profile-handler", "1.0.0",
                    "Chooses a scheduling profile per request from the request and the pool",
                    EPP_TYPE(epp::plugins::AdaptiveProfileHandler, "adaptive-profile-handler",
                             "runs one profile chosen by rules on priority and pool load, with "
                             "hysteresis"))

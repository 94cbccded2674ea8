// File: host/scheduling/scheduler.h
//
// One scheduling decision: the profile handler picks profiles until it picks none; each
// profile narrows the candidates (filter list or decision tree), scores them (each score
// clamped to [0, 1], times its weight, summed — not normalised), and its picker returns
// the primary and fallbacks; the handler then names the primary profile.
//
// A misbehaving plugin fails only its step, and the step degrades: a failing filter keeps
// its input, a failing (or NaN) scorer contributes 0, a failing picker is replaced by the
// top score. Every fault is recorded in the result for logs and metrics.
//
// With tracing on, the result explains the decision for /decisions: the candidates after
// each filter or tree node, every scorer's raw and weighted score per endpoint, the picks
// and the time each plugin took.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/scheduling/request_context.h"
#include "host/scheduling/scheduler_config.h"

namespace epp::scheduling {

struct StepTrace {
  std::string step;                     // tree node name, or the filter's instance name
  std::string plugin;                   // instance name ("" for predicates)
  std::string kind;                     // "filter", "predicate"
  bool result = true;                   // non-empty result / predicate true
  std::vector<std::string> candidates;  // ip:port after the step
  int64_t durationNs = 0;
};

struct ScorerTrace {
  std::string plugin;
  double weight = 1;
  std::vector<double> raw;  // per candidate, as returned (clamped)
  int64_t durationNs = 0;
};

struct ProfileTrace {
  std::string profile;
  bool ok = false;
  std::string error;
  std::vector<std::string> candidates;  // ip:port entering scoring
  std::vector<StepTrace> steps;
  std::vector<ScorerTrace> scorers;
  std::vector<double> totals;  // per candidate
  std::string picker;
  std::vector<std::string> picked;  // ip:port, primary first
  int64_t pickerNs = 0;
};

// A plugin call that failed (error status, NaN, bad index): counted and logged.
struct PluginFault {
  std::string plugin;
  std::string extensionPoint;  // "filter", "scorer", "picker", "profile-handler"
  std::string message;
};

struct ProfileRun {
  std::string name;
  std::vector<const epp_endpoint_view*> targets;
  epp_profile_result result{};
};

struct ScheduleResult {
  bool ok = false;
  std::string error;                              // why nothing was picked
  std::vector<const epp_endpoint_view*> targets;  // primary's picks, primary first
  std::string primaryProfile;
  std::vector<std::unique_ptr<ProfileRun>> runs;  // every profile that ran, in run order
  std::vector<const epp_profile_result*> resultPointers;
  uint32_t primaryIndex = 0;
  std::vector<ProfileTrace> trace;  // filled when tracing
  std::vector<PluginFault> faults;
  int64_t durationNs = 0;
  // Per plugin call durations, for the plugin-duration metric.
  struct Timing {
    const PluginInstance* plugin;
    const char* extensionPoint;
    int64_t ns;
  };
  std::vector<Timing> timings;

  // The scheduling result as plugins see it (pre_request).
  epp_scheduling_result abiResult() const {
    return {sizeof(epp_scheduling_result), primaryIndex, resultPointers.data(),
            resultPointers.size()};
  }
};

ScheduleResult schedule(const SchedulerConfig& config, RequestContext& request,
                        const epp_endpoint_list& candidates, bool trace);

}  // namespace epp::scheduling

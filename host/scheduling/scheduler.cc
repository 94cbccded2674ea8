#include "host/scheduling/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "host/scheduling/predicate.h"

namespace epp::scheduling {
namespace {

using Clock = std::chrono::steady_clock;
using Views = std::vector<const epp_endpoint_view*>;

int64_t since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

std::vector<std::string> hostPorts(const Views& views) {
  std::vector<std::string> out;
  out.reserve(views.size());
  for (const auto* v : views) out.emplace_back(v->host_port.ptr, v->host_port.len);
  return out;
}

epp_endpoint_list listOf(const Views& v) { return {v.data(), v.size()}; }

class ProfileRunner {
 public:
  ProfileRunner(const Profile& profile, RequestContext& request, ScheduleResult& out, bool trace)
      : profile_(profile), request_(request), out_(out), trace_(trace) {}

  // Runs the profile over `candidates`; returns its picks (empty on failure).
  Views run(const Views& candidates, ProfileTrace& t) {
    t.profile = profile_.name;
    Views set = profile_.tree.empty() ? runFilterList(candidates, t) : runTree(candidates, t);
    if (set.empty()) {
      if (t.error.empty()) t.error = "no candidate endpoints after filtering";
      return {};
    }
    if (trace_) t.candidates = hostPorts(set);
    std::vector<double> totals = score(set, t);
    Views picked = pick(set, totals, t);
    if (trace_) {
      t.totals = totals;
      t.picked = hostPorts(picked);
    }
    t.ok = !picked.empty();
    if (!t.ok) t.error = "picker chose no endpoint";
    return picked;
  }

 private:
  void fault(const PluginInstance* p, const char* point, std::string message) {
    out_.faults.push_back({p->name(), point, std::move(message)});
  }

  // Returns the kept subset; `ok` false when the plugin failed (the input is then kept).
  Views runFilter(const PluginInstance* f, const Views& in, bool& ok, int64_t& ns) {
    std::vector<uint8_t> keep(in.size(), 1);
    epp_endpoint_list list = listOf(in);
    auto start = Clock::now();
    epp_status s = f->type().filter->filter(f->pluginPtr(), request_.view(), &list, keep.data());
    ns = since(start);
    out_.timings.push_back({f, "filter", ns});
    ok = s == EPP_OK;
    if (!ok) {
      fault(f, "filter", "status " + std::to_string(s) + "; filter skipped");
      return in;
    }
    Views kept;
    kept.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      if (keep[i]) kept.push_back(in[i]);
    }
    return kept;
  }

  Views runFilterList(const Views& candidates, ProfileTrace& t) {
    Views set = candidates;
    for (const PluginInstance* f : profile_.filters) {
      bool ok = true;
      int64_t ns = 0;
      set = runFilter(f, set, ok, ns);
      if (trace_) {
        t.steps.push_back({f->name(), f->name(), "filter", !set.empty(), hostPorts(set), ns});
      }
      if (set.empty()) {
        t.error = "filter " + f->name() + " left no candidates";
        return set;
      }
    }
    return set;
  }

  Views runTree(const Views& candidates, ProfileTrace& t) {
    Views set = candidates;
    int node = profile_.root;
    // Trees are acyclic (checked at config time); the bound guards that promise.
    for (size_t steps = 0; node >= 0 && steps <= profile_.tree.size(); ++steps) {
      const TreeNode& n = profile_.tree[static_cast<size_t>(node)];
      bool success = false;
      int64_t ns = 0;
      if (n.filter != nullptr) {
        bool ok = true;
        Views kept = runFilter(n.filter, set, ok, ns);
        success = !kept.empty();
        if (success) set = std::move(kept);
        if (trace_) {
          t.steps.push_back({n.name, n.filter->name(), "filter", success,
                             hostPorts(success ? set : Views{}), ns});
        }
        if (!success && n.onFailure < 0) {
          t.error = "decision tree node " + n.name + " left no candidates";
          return {};
        }
      } else {
        auto start = Clock::now();
        success = evaluatePredicate(*n.predicate, request_);
        ns = since(start);
        if (trace_) t.steps.push_back({n.name, "", "predicate", success, hostPorts(set), ns});
      }
      node = success ? n.onSuccess : n.onFailure;
    }
    return set;
  }

  std::vector<double> score(const Views& set, ProfileTrace& t) {
    std::vector<double> totals(set.size(), 0.0);
    std::vector<double> scores(set.size());
    epp_endpoint_list list = listOf(set);
    for (const WeightedScorer& ws : profile_.scorers) {
      std::fill(scores.begin(), scores.end(), 0.0);
      auto start = Clock::now();
      epp_status s = ws.plugin->type().scorer->score(ws.plugin->pluginPtr(), request_.view(), &list,
                                                     scores.data());
      int64_t ns = since(start);
      out_.timings.push_back({ws.plugin, "scorer", ns});
      bool nan = std::any_of(scores.begin(), scores.end(), [](double v) { return std::isnan(v); });
      if (s != EPP_OK || nan) {
        fault(ws.plugin, "scorer",
              s != EPP_OK ? "status " + std::to_string(s) + "; scores ignored"
                          : "returned NaN; scores ignored");
        std::fill(scores.begin(), scores.end(), 0.0);
      }
      for (size_t i = 0; i < set.size(); ++i) {
        scores[i] = std::clamp(scores[i], 0.0, 1.0);
        totals[i] += ws.weight * scores[i];
      }
      if (trace_) t.scorers.push_back({ws.plugin->name(), ws.weight, scores, ns});
    }
    return totals;
  }

  Views pick(const Views& set, const std::vector<double>& totals, ProfileTrace& t) {
    const PluginInstance* p = profile_.picker;
    std::vector<uint32_t> picked(set.size());
    size_t n = picked.size();
    epp_endpoint_list list = listOf(set);
    if (trace_) t.picker = p->name();
    auto start = Clock::now();
    epp_status s = p->type().picker->pick(p->pluginPtr(), request_.view(), &list, totals.data(),
                                          picked.data(), &n);
    t.pickerNs = since(start);
    out_.timings.push_back({p, "picker", t.pickerNs});
    Views out;
    std::vector<uint8_t> seen(set.size(), 0);
    if (s == EPP_OK && n <= picked.size()) {
      for (size_t i = 0; i < n; ++i) {
        if (picked[i] < set.size() && !seen[picked[i]]) {
          seen[picked[i]] = 1;
          out.push_back(set[picked[i]]);
        }
      }
      if (out.size() != n) fault(p, "picker", "out-of-range or repeated indices dropped");
    }
    if (out.empty()) {
      if (s != EPP_OK) fault(p, "picker", "status " + std::to_string(s) + "; top score used");
      auto best = std::max_element(totals.begin(), totals.end()) - totals.begin();
      out.push_back(set[static_cast<size_t>(best)]);
    }
    return out;
  }

  const Profile& profile_;
  RequestContext& request_;
  ScheduleResult& out_;
  bool trace_;
};

}  // namespace

ScheduleResult schedule(const SchedulerConfig& config, RequestContext& request,
                        const epp_endpoint_list& candidates, bool trace) {
  auto start = Clock::now();
  ScheduleResult out;
  Views all(candidates.items, candidates.items + candidates.count);
  const PluginInstance* handler = config.profileHandler;
  const auto* table = handler->type().profile_handler;
  std::vector<uint8_t> ran(config.profiles.size(), 0);
  for (size_t round = 0; round <= config.profiles.size(); ++round) {
    std::vector<uint8_t> run(config.profiles.size(), 0);
    auto pickStart = Clock::now();
    epp_status s =
        table->pick_profiles(handler->pluginPtr(), request.view(), config.profileNames.data(),
                             config.profileNames.size(), out.resultPointers.data(),
                             out.resultPointers.size(), run.data());
    out.timings.push_back({handler, "profile-handler", since(pickStart)});
    if (s != EPP_OK) {
      out.faults.push_back(
          {handler->name(), "profile-handler", "pick_profiles status " + std::to_string(s)});
      out.error = "profile handler " + handler->name() + " failed";
      out.durationNs = since(start);
      return out;
    }
    bool any = false;
    for (size_t i = 0; i < run.size(); ++i) {
      if (!run[i] || ran[i]) continue;
      ran[i] = 1;
      any = true;
      ProfileTrace t;
      Views picked = ProfileRunner(config.profiles[i], request, out, trace).run(all, t);
      auto r = std::make_unique<ProfileRun>();
      r->name = config.profiles[i].name;
      r->targets = std::move(picked);
      r->result = {sizeof(epp_profile_result),
                   !r->targets.empty(),
                   {r->name.data(), r->name.size()},
                   r->targets.data(),
                   r->targets.size()};
      out.resultPointers.push_back(&r->result);
      out.runs.push_back(std::move(r));
      if (trace || !t.ok) out.trace.push_back(std::move(t));
    }
    if (!any) break;
  }
  if (out.runs.empty()) {
    out.error = "profile handler chose no profile";
    out.durationNs = since(start);
    return out;
  }
  uint32_t primary = 0;
  auto prStart = Clock::now();
  epp_status s =
      table->process_results(handler->pluginPtr(), request.view(), out.resultPointers.data(),
                             out.resultPointers.size(), &primary);
  out.timings.push_back({handler, "profile-handler", since(prStart)});
  if (s != EPP_OK || primary >= out.runs.size()) {
    out.faults.push_back(
        {handler->name(), "profile-handler", "process_results status " + std::to_string(s)});
    primary = 0;
  }
  out.primaryIndex = primary;
  const ProfileRun& p = *out.runs[primary];
  out.primaryProfile = p.name;
  out.targets = p.targets;
  out.ok = !out.targets.empty();
  if (!out.ok) {
    out.error = "no eligible endpoint for profile " + p.name;
    for (const auto& t : out.trace) {
      if (t.profile == p.name && !t.error.empty()) out.error = t.error;
    }
  }
  out.durationNs = since(start);
  return out;
}

}  // namespace epp::scheduling

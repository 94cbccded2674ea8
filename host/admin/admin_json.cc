#include "host/admin/admin_json.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "host/loader/kinds.h"

namespace epp::admin {
namespace {

using nlohmann::json;

std::string rfc3339(int64_t wallMs) {
  std::time_t secs = static_cast<std::time_t>(wallMs / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(wallMs % 1000));
  return out;
}

const char* healthName(epp_health h) {
  switch (h) {
    case EPP_HEALTH_HEALTHY:
      return "healthy";
    case EPP_HEALTH_UNHEALTHY:
      return "unhealthy";
    case EPP_HEALTH_NOT_READY:
      return "not-ready";
    default:
      return "unknown";
  }
}

}  // namespace

json reloadJson(const runtime::ReloadOutcome& r) {
  json out = {{"result", r.result},
              {"error", r.error.empty() ? json(nullptr) : json(r.error)},
              {"at", rfc3339(r.atWallMs)},
              {"trigger", r.trigger},
              {"generation", r.generation},
              {"previousGeneration", r.previousGeneration},
              {"durationMs", r.seconds * 1000}};
  if (r.result == "success") {
    out["carriedOver"] = r.carriedOver;
    out["instances"] = r.instances;
  }
  return out;
}

json configJson(const runtime::ConfigSnapshot& c,
                const std::optional<runtime::ReloadOutcome>& lastReload,
                const std::vector<runtime::ConfigSnapshotPtr>& live) {
  json profiles = json::array();
  for (const auto& p : c.scheduler.profiles) {
    json scorers = json::array();
    for (const auto& s : p.scorers)
      scorers.push_back({{"plugin", s.plugin->name()}, {"weight", s.weight}});
    json filters = json::array();
    for (const auto* f : p.filters) filters.push_back(f->name());
    json tree = json::array();
    for (const auto& n : p.tree) {
      tree.push_back({{"name", n.name},
                      {"filter", n.filter ? n.filter->name() : ""},
                      {"predicate", n.predicate.has_value()},
                      {"onSuccess", n.onSuccess >= 0 ? p.tree[n.onSuccess].name : ""},
                      {"onFailure", n.onFailure >= 0 ? p.tree[n.onFailure].name : ""}});
    }
    profiles.push_back({{"name", p.name},
                        {"filters", filters},
                        {"decisionTree", tree},
                        {"scorers", scorers},
                        {"picker", p.picker ? p.picker->name() : ""}});
  }
  json liveGenerations = json::array();
  for (const auto& s : live) liveGenerations.push_back(s->generation);
  if (live.empty()) liveGenerations.push_back(c.generation);
  return {{"generation", c.generation},
          {"hash", c.config.sha256},
          {"source", c.config.source},
          {"loadedAt", rfc3339(c.loadedAtWallMs)},
          {"apiVersion", c.config.apiVersion},
          {"profileHandler", c.scheduler.profileHandler ? c.scheduler.profileHandler->name() : ""},
          {"profiles", profiles},
          {"plugins", c.instances.size()},
          {"lastReload", lastReload ? reloadJson(*lastReload) : json(nullptr)},
          {"liveGenerations", liveGenerations}};
}

json pluginsJson(const runtime::ConfigSnapshot& c, const loader::PluginRegistry& registry,
                 const std::vector<runtime::ConfigSnapshotPtr>& live) {
  // Every library version eppd has mapped: the current scan's, then those only old
  // snapshots (and the requests still on them) keep loaded.
  std::vector<const loader::LoadedLibrary*> order;
  std::map<const loader::LoadedLibrary*, std::vector<uint64_t>> holders;
  for (const auto& lib : registry.libraries()) {
    order.push_back(lib.get());
    holders[lib.get()];
  }
  for (const auto& snap : live) {
    for (const auto& i : snap->instances) {
      const loader::LoadedLibrary* lib = i->library().get();
      auto [it, added] = holders.try_emplace(lib);
      if (added) order.push_back(lib);
      if (it->second.empty() || it->second.back() != snap->generation) {
        it->second.push_back(snap->generation);
      }
    }
  }
  json libraries = json::array();
  for (const auto* lib : order) {
    json types = json::array();
    for (const auto* t : lib->types()) types.push_back(t->type_name);
    const std::vector<uint64_t>& generations = holders[lib];
    bool scanned = std::any_of(registry.libraries().begin(), registry.libraries().end(),
                               [&](const auto& l) { return l.get() == lib; });
    libraries.push_back({{"name", lib->name()},
                         {"version", lib->version()},
                         {"file", lib->sourcePath().string()},
                         {"cachedPath", lib->cachedPath().string()},
                         {"sha256", lib->sha256()},
                         {"types", types},
                         {"inPluginDirs", scanned},
                         {"snapshots", generations.size()},
                         {"generations", generations}});
  }
  json instances = json::array();
  for (size_t n = 0; n < c.instances.size(); ++n) {
    const auto& i = c.instances[n];
    uint64_t since = n < c.instanceInfo.size() ? c.instanceInfo[n].createdInGeneration : 0;
    instances.push_back({{"name", i->name()},
                         {"type", i->typeName()},
                         {"kinds", loader::joinKinds(i->type().kinds)},
                         {"library", i->library()->name()},
                         {"version", i->library()->version()},
                         {"sha256", i->library()->sha256()},
                         {"createdInGeneration", since}});
  }
  json errors = json::array();
  for (const auto& e : registry.errors())
    errors.push_back({{"file", e.file.string()}, {"error", e.message}});
  return {{"generation", c.generation},
          {"libraries", libraries},
          {"instances", instances},
          {"errors", errors}};
}

json endpointsJson(const datalayer::EndpointSnapshot& eps, int64_t nowNs) {
  json list = json::array();
  size_t available = 0;
  for (size_t i = 0; i < eps.size(); ++i) {
    const auto& s = eps.state(i);
    const epp_endpoint_view* v = eps.view(i);
    bool ok = s.health == EPP_HEALTH_HEALTHY || s.health == EPP_HEALTH_UNKNOWN;
    available += ok ? 1 : 0;
    json metrics = nullptr;
    if (s.hasMetrics) {
      metrics = {{"waiting", s.waiting},
                 {"running", s.running},
                 {"kvCacheUsage", s.kvCacheUsage},
                 {"activeLoras", s.activeLoras},
                 {"waitingLoras", s.waitingLoras},
                 {"maxLoras", s.maxLoras},
                 {"cacheBlockSize", s.cacheBlockSize},
                 {"cacheNumBlocks", s.cacheNumBlocks},
                 {"ageMs", (nowNs - s.metricsUpdatedNs) / 1'000'000},
                 {"stale", s.stale}};
    }
    json scrape = {
        {"enabled", s.scrape},
        {"manual", s.manual},
        {"consecutiveFailures", s.consecutiveFailures},
        {"detectedEngine", s.detectedEngine.empty() ? json(nullptr) : json(s.detectedEngine)},
        {"lastError", s.scrapeError.empty() ? json(nullptr) : json(s.scrapeError)},
        {"lastErrorAgeMs",
         s.scrapeErrorNs == 0 ? json(nullptr) : json((nowNs - s.scrapeErrorNs) / 1'000'000)},
        {"lastAttemptAgeMs",
         s.lastScrapeNs == 0 ? json(nullptr) : json((nowNs - s.lastScrapeNs) / 1'000'000)}};
    list.push_back({{"endpoint", s.hostPort()},
                    {"id", std::to_string(v->id)},
                    {"address", s.address},
                    {"port", s.port},
                    {"name", s.name},
                    {"engine", s.engine},
                    {"role", s.role},
                    {"pool", s.pool},
                    {"labels", s.labels},
                    {"source", s.source},
                    {"health", healthName(s.health)},
                    {"inflight", eps.inflight(i)},
                    {"metrics", metrics},
                    {"engineLabels", s.engineLabels},
                    {"scrape", scrape}});
  }
  json details = json::array();
  for (const auto& e : list)
    details.push_back({{"endpoint", e["endpoint"]}, {"health", e["health"]}});
  return {{"version", eps.version()},
          {"endpoints", list},
          {"pool",
           {{"status", available > 0 ? "SERVING" : "NOT_SERVING"},
            {"available_backends", available},
            {"total_backends", eps.size()},
            {"details", details}}}};
}

json decisionJson(const runtime::DecisionRecord& r) {
  json profiles = json::array();
  for (const auto& p : r.profiles) {
    json steps = json::array();
    for (const auto& s : p.steps) {
      steps.push_back({{"step", s.step},
                       {"plugin", s.plugin},
                       {"kind", s.kind},
                       {"result", s.result},
                       {"candidates", s.candidates},
                       {"durationUs", static_cast<double>(s.durationNs) / 1e3}});
    }
    json scorers = json::array();
    for (const auto& s : p.scorers) {
      json perEndpoint = json::object();
      for (size_t i = 0; i < s.raw.size() && i < p.candidates.size(); ++i) {
        perEndpoint[p.candidates[i]] = {{"raw", s.raw[i]}, {"weighted", s.raw[i] * s.weight}};
      }
      scorers.push_back({{"plugin", s.plugin},
                         {"weight", s.weight},
                         {"scores", perEndpoint},
                         {"durationUs", static_cast<double>(s.durationNs) / 1e3}});
    }
    json totals = json::object();
    for (size_t i = 0; i < p.totals.size() && i < p.candidates.size(); ++i) {
      totals[p.candidates[i]] = p.totals[i];
    }
    profiles.push_back({{"profile", p.profile},
                        {"ok", p.ok},
                        {"error", p.error},
                        {"steps", steps},
                        {"candidates", p.candidates},
                        {"scorers", scorers},
                        {"totals", totals},
                        {"picker", p.picker},
                        {"picked", p.picked},
                        {"pickerDurationUs", static_cast<double>(p.pickerNs) / 1e3}});
  }
  json faults = json::array();
  for (const auto& f : r.faults) {
    faults.push_back(
        {{"plugin", f.plugin}, {"extensionPoint", f.extensionPoint}, {"message", f.message}});
  }
  json out = {{"requestId", r.requestId},
              {"model", r.model},
              {"targetModel", r.targetModel},
              {"time", rfc3339(r.wallMs)},
              {"configGeneration", r.configGeneration},
              {"status", r.httpStatus == 0 ? 200 : r.httpStatus},
              {"routed", r.httpStatus == 0},
              {"profile", r.primaryProfile},
              {"pick", r.picks.empty() ? "" : r.picks.front()},
              {"fallbacks", r.picks.size() > 1
                                ? json(std::vector<std::string>(r.picks.begin() + 1, r.picks.end()))
                                : json::array()},
              {"profiles", profiles},
              {"faults", faults},
              {"schedulingUs", static_cast<double>(r.schedulingNs) / 1e3}};
  if (!r.error.empty()) out["error"] = r.error;
  out["priority"] = r.priority;
  if (!r.objective.empty()) out["objective"] = r.objective;
  if (r.sloTtftMs || r.sloTpotMs) {
    json slo = json::object();
    if (r.sloTtftMs) slo["ttftMs"] = *r.sloTtftMs;
    if (r.sloTpotMs) slo["tpotMs"] = *r.sloTpotMs;
    out["slo"] = slo;
  }
  if (r.routing) {
    const routing::RoutingRecord& m = *r.routing;
    json routed = {{"requestedModel", m.requestedModel},
                   {"fromRewriteHeader", m.fromRewriteHeader},
                   {"targetModel", m.targetModel},
                   {"bodyRewritten", m.bodyRewritten}};
    if (!m.resolvedModel.empty()) {
      routed["resolvedModel"] = m.resolvedModel;
      routed["resolvedBy"] = m.resolvedBy;
    }
    if (!m.rule.empty()) {
      routed["rule"] = m.rule;
      routed["splitTarget"] = m.splitTarget;
      if (!m.splitter.empty()) routed["splitter"] = m.splitter;
    }
    if (!m.loraFallback.empty()) routed["loraFallback"] = m.loraFallback;
    if (!m.baseModel.empty()) routed["baseModel"] = m.baseModel;
    out["routing"] = routed;
  }
  if (r.tokenize) {
    out["tokenize"] = {{"endpoint", r.tokenize->endpoint},
                       {"outcome", r.tokenize->outcome},
                       {"tokens", r.tokenize->tokens},
                       {"ms", r.tokenize->ms}};
  }
  if (r.admission) {
    json admission = {{"outcome", r.admission->outcome}, {"detector", r.admission->detector}};
    if (r.admission->error.empty()) {
      admission["saturation"] = r.admission->saturation;
    } else {
      admission["error"] = r.admission->error;
    }
    out["admission"] = admission;
  }
  if (r.queue) {
    json queue = {{"outcome", r.queue->outcome},
                  {"fairnessId", r.queue->fairnessId},
                  {"band", r.queue->band},
                  {"waitMs", static_cast<double>(r.queue->waitNs) / 1e6}};
    if (!r.queue->detail.empty()) queue["detail"] = r.queue->detail;
    out["queue"] = queue;
  }
  return out;
}

json flowControlJson(const flowcontrol::FlowControlConfig& config,
                     const std::vector<flowcontrol::BandStats>& bands) {
  auto name = [](const loader::PluginInstance* p) { return p != nullptr ? p->name() : ""; };
  size_t queued = 0;
  int64_t bytes = 0;
  json bandList = json::array();
  for (const auto& b : bands) {
    queued += b.queued;
    bytes += b.bytes;
    json flows = json::array();
    for (const auto& f : b.flows) {
      flows.push_back({{"fairnessId", f.fairnessId},
                       {"queued", f.queued},
                       {"bytes", f.bytes},
                       {"dispatched", f.dispatched}});
    }
    bandList.push_back({{"priority", b.priority},
                        {"queued", b.queued},
                        {"bytes", b.bytes},
                        {"maxRequests", b.maxRequests},
                        {"maxBytes", b.maxBytes},
                        {"saturationCeiling", b.saturationCeiling},
                        {"fairnessPolicy", b.fairness},
                        {"orderingPolicy", b.ordering},
                        {"flows", flows}});
  }
  return {{"enabled", config.enabled},
          {"saturationDetector", name(config.detector)},
          {"maxRequests", config.maxRequests},
          {"maxBytes", config.maxBytes},
          {"defaultRequestTTLMs", static_cast<double>(config.defaultTtlNs) / 1e6},
          {"queued", queued},
          {"queuedBytes", bytes},
          {"bands", bandList}};
}

common::Status applyEndpointState(const json& body, std::vector<datalayer::EndpointState>& states,
                                  int64_t nowNs) {
  if (!body.is_object() || !body.contains("endpoint") || !body["endpoint"].is_string()) {
    return common::Error{"body must be a JSON object with \"endpoint\": \"ip:port\""};
  }
  std::string target = body["endpoint"];
  for (auto& s : states) {
    if (s.hostPort() != target) continue;
    bool manual = true;
    try {
      for (const auto& [key, value] : body.items()) {
        if (key == "endpoint") continue;
        if (key == "manual") {
          manual = value.get<bool>();
          continue;
        }
        if (key == "waiting")
          s.waiting = value.get<int64_t>();
        else if (key == "running")
          s.running = value.get<int64_t>();
        else if (key == "kvCacheUsage")
          s.kvCacheUsage = value.get<double>();
        else if (key == "activeLoras")
          s.activeLoras = value.get<std::vector<std::string>>();
        else if (key == "waitingLoras")
          s.waitingLoras = value.get<std::vector<std::string>>();
        else if (key == "maxLoras")
          s.maxLoras = value.get<int64_t>();
        else if (key == "cacheBlockSize")
          s.cacheBlockSize = value.get<int64_t>();
        else if (key == "cacheNumBlocks")
          s.cacheNumBlocks = value.get<int64_t>();
        else if (key == "health") {
          std::string h = value.get<std::string>();
          if (h == "healthy")
            s.health = EPP_HEALTH_HEALTHY;
          else if (h == "unhealthy")
            s.health = EPP_HEALTH_UNHEALTHY;
          else if (h == "not-ready")
            s.health = EPP_HEALTH_NOT_READY;
          else
            return common::Error{"health must be healthy, unhealthy or not-ready"};
        } else {
          return common::Error{"unknown field \"" + key + "\""};
        }
      }
    } catch (const json::exception& e) {
      return common::Error{std::string("wrong type: ") + e.what()};
    }
    if (!manual) {
      // Hands the endpoint back to the scraper; its next collection replaces this state.
      s.manual = false;
      return {};
    }
    if (!s.manual) {
      // Taking over from the scraper: what its failures said no longer applies.
      s.manual = true;
      if (!body.contains("health")) s.health = EPP_HEALTH_HEALTHY;
      s.consecutiveFailures = 0;
      s.scrapeError.clear();
    }
    s.hasMetrics = true;
    s.stale = false;
    s.metricsUpdatedNs = nowNs;
    return {};
  }
  return common::Error{"no endpoint " + target};
}

}  // namespace epp::admin

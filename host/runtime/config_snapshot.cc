#include "host/runtime/config_snapshot.h"

#include <chrono>
#include <map>

#include "host/config/param_tree.h"
#include "host/runtime/carry_over.h"
#include "host/runtime/scrape_setup_builder.h"
#include "host/runtime/snapshot_reaper.h"
#if __has_include("host/runtime/state_handover.h")
#include "host/runtime/state_handover.h"
#define EPP_HAS_STATE_HANDOVER 1
#endif

namespace epp::runtime {
namespace {

using common::Error;
using loader::PluginInstance;

std::string at(const config::Location& where) { return where.str() + ": "; }

bool has(const PluginInstance& p, uint32_t kind) { return (p.type().kinds & kind) != 0; }

class Builder {
 public:
  Builder(const loader::PluginRegistry& registry, ConfigSnapshot& snap,
          const ConfigSnapshot* previous)
      : registry_(registry), snap_(snap), previous_(previous) {}

  void instantiate() {
    for (const config::PluginSpec& spec : snap_.config.plugins) {
      const loader::RegisteredType* type = registry_.find(spec.type);
      if (type == nullptr) {
        fail(at(spec.where) + "unknown plugin type '" + spec.type + "'");
        continue;
      }
      std::string canonical = canonicalParameters(spec.parameters);
      Predecessor before = findPredecessor(previous_, spec.name, *type, canonical);
      if (before.reusable) {
        add(spec.name, before.instance, {std::move(canonical), before.createdInGeneration});
        continue;
      }
      auto params = config::ParamTree::fromYaml(spec.parameters, spec.where.file);
      if (!params) {
        fail(params.error());
        continue;
      }
      auto instance = PluginInstance::create(*type, spec.name, params->root());
      if (!instance) {
        fail(at(spec.where) + instance.error());
        continue;
      }
      if (before.sameType) handOver(*before.instance, **instance);
      add(spec.name, *instance, {std::move(canonical), snap_.generation});
    }
  }

  void wire() {
    scheduling::SchedulerConfig& s = snap_.scheduler;
    for (const auto& inst : snap_.instances) {
      if (has(*inst, EPP_KIND_PROFILE_HANDLER)) s.profileHandler = inst.get();
      const epp_request_hooks_v1* hooks = inst->type().request_hooks;
      if (hooks == nullptr) continue;
      if (hooks->prepare_request) s.prepareRequest.push_back(inst.get());
      if (hooks->pre_request) s.preRequest.push_back(inst.get());
      if (hooks->response_headers || hooks->response_body || hooks->request_complete) {
        s.responseHooks.push_back(inst.get());
      }
    }
    if (s.profileHandler == nullptr) fail("no profile handler configured");
    std::map<std::string, const config::DecisionTreeSpec*> trees;
    for (const auto& t : snap_.config.decisionTrees) trees[t.profile] = &t;
    for (const config::ProfileSpec& ps : snap_.config.profiles) {
      scheduling::Profile& p = s.profiles.emplace_back();
      p.name = ps.name;
      for (const config::ProfilePluginRef& ref : ps.plugins) {
        const PluginInstance* inst = lookup(ref.pluginRef, ref.where);
        if (inst == nullptr) continue;
        if (has(*inst, EPP_KIND_FILTER)) p.filters.push_back(inst);
        if (has(*inst, EPP_KIND_SCORER)) p.scorers.push_back({inst, ref.weight.value_or(1.0)});
        if (has(*inst, EPP_KIND_PICKER)) p.picker = inst;
      }
      if (auto it = trees.find(ps.name); it != trees.end()) wireTree(*it->second, p);
      if (p.picker == nullptr) fail(at(ps.where) + "profile '" + ps.name + "' has no picker");
    }
    for (const auto& p : s.profiles) s.profileNames.push_back({p.name.data(), p.name.size()});
    if (const auto& ref = snap_.config.saturationDetectorRef) {
      snap_.saturationDetector =
          lookup(*ref, snap_.config.keyLocations.count("saturationDetector")
                           ? snap_.config.keyLocations.at("saturationDetector")
                           : config::Location{snap_.config.source});
    }
    wireFlowControl();
  }

  std::string errors() const { return errors_; }

 private:
  void add(const std::string& name, std::shared_ptr<PluginInstance> instance, InstanceInfo info) {
    byName_[name] = instance.get();
    snap_.instances.push_back(std::move(instance));
    snap_.instanceInfo.push_back(std::move(info));
  }

  // A fresh instance replacing one of the same name and type (new parameters or a new
  // library version) may take over its state; the old one keeps serving the requests
  // still on the previous snapshot. Before publishing, so requests never see it empty.
  static void handOver([[maybe_unused]] const PluginInstance& from,
                       [[maybe_unused]] PluginInstance& to) {
#ifdef EPP_HAS_STATE_HANDOVER
    handOverState(from, to);
#endif
  }

  void fail(const std::string& message) {
    if (!errors_.empty()) errors_ += "\n";
    errors_ += message;
  }

  const PluginInstance* lookup(const std::string& name, const config::Location& where) {
    auto it = byName_.find(name);
    if (it != byName_.end()) return it->second;
    fail(at(where) + "unknown plugin '" + name + "'");
    return nullptr;
  }

  void wireTree(const config::DecisionTreeSpec& spec, scheduling::Profile& p) {
    std::map<std::string, int> index;
    for (const auto& n : spec.nodes) index[n.name] = static_cast<int>(index.size());
    auto target = [&](const std::string& name) {
      if (name.empty()) return -1;
      auto it = index.find(name);
      return it == index.end() ? -1 : it->second;
    };
    for (const auto& n : spec.nodes) {
      scheduling::TreeNode& node = p.tree.emplace_back();
      node.name = n.name;
      node.predicate = n.predicate;
      node.onSuccess = target(n.onSuccess);
      node.onFailure = target(n.onFailure);
      if (!n.filter.empty()) node.filter = lookup(n.filter, n.where);
    }
    p.root = target(spec.root);
    p.filters.clear();  // the tree is the profile's filter stage
  }

  void wireFlowControl() {
    flowcontrol::InstanceLookup instances;
    instances.byName = [this](const std::string& name) -> const PluginInstance* {
      auto it = byName_.find(name);
      return it == byName_.end() ? nullptr : it->second;
    };
    instances.firstOfType = [this](const std::string& type) -> const PluginInstance* {
      for (const auto& inst : snap_.instances) {
        if (inst->typeName() == type) return inst.get();
      }
      return nullptr;
    };
    auto flow = flowcontrol::buildFlowControlConfig(snap_.config.flowControl, snap_.flowControlGate,
                                                    snap_.saturationDetector, instances);
    if (!flow) return fail(flow.error());
    snap_.flowControl = std::move(*flow);
    snap_.flowControl.generation = snap_.generation;
  }

  const loader::PluginRegistry& registry_;
  ConfigSnapshot& snap_;
  const ConfigSnapshot* previous_;
  std::map<std::string, const PluginInstance*> byName_;
  std::string errors_;
};

}  // namespace

const loader::PluginInstance* ConfigSnapshot::find(const std::string& name) const {
  for (const auto& i : instances) {
    if (i->name() == name) return i.get();
  }
  return nullptr;
}

common::Result<ConfigSnapshotPtr> buildSnapshot(config::PickerConfig resolved,
                                                const loader::PluginRegistry& registry,
                                                uint64_t generation,
                                                const ConfigSnapshot* previous) {
  // Not make_shared: the deleter lets the reaper move the destruction off the request path.
  std::shared_ptr<ConfigSnapshot> snap(new ConfigSnapshot(), &releaseSnapshot);
  snap->generation = generation;
  snap->loadedAtWallMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  snap->config = std::move(resolved);
  snap->objectives = flowcontrol::Objectives(snap->config.objectives);
  snap->rateLimiters = flowcontrol::RateLimiters::global().acquire(snap->config.rateLimits);
  for (const auto& gate : snap->config.featureGates) {
    if (gate == "flowControl") snap->flowControlGate = true;
  }
  Builder b(registry, *snap, previous);
  b.instantiate();
  if (b.errors().empty()) b.wire();
  if (!b.errors().empty()) return Error{b.errors()};
  auto router = routing::Router::build(snap->config.routing,
                                       [&](const std::string& name) { return snap->find(name); });
  if (!router) return Error{router.error()};
  snap->router = std::move(*router);
  auto scrape = buildScrapeSetup(*snap, registry);
  if (!scrape) return Error{scrape.error()};
  snap->scrape = std::move(*scrape);
  return ConfigSnapshotPtr(std::move(snap));
}

config::KindLookup kindLookup(const loader::PluginRegistry& registry) {
  return [&registry](const std::string& type) -> std::optional<uint32_t> {
    const loader::RegisteredType* t = registry.find(type);
    if (t == nullptr) return std::nullopt;
    return t->type->kinds;
  };
}

}  // namespace epp::runtime

#include "host/flowcontrol/flow_control_config.h"

#include <fmt/format.h>

#include <algorithm>

namespace epp::flowcontrol {

BandConfig FlowControlConfig::bandFor(int32_t priority) const {
  for (const BandConfig& b : bands) {
    if (b.priority == priority) return b;
  }
  BandConfig b = defaultBand;
  b.priority = priority;
  return b;
}

namespace {

class Resolver {
 public:
  Resolver(bool enabled, const InstanceLookup& instances)
      : enabled_(enabled), instances_(instances) {}

  BandConfig band(const config::PriorityBandSpec& spec, const std::string& what) {
    BandConfig b;
    b.priority = spec.priority;
    b.maxBytes = spec.maxBytes.value_or(kDefaultBandMaxBytes);
    b.maxRequests = spec.maxRequests.value_or(0);
    b.saturationCeiling = spec.saturationCeiling.value_or(1.0);
    b.fairness = policy(spec.fairnessPolicyRef, kDefaultFairnessType, EPP_KIND_FAIRNESS_POLICY,
                        "fairness", what);
    b.ordering = policy(spec.orderingPolicyRef, kDefaultOrderingType, EPP_KIND_ORDERING_POLICY,
                        "ordering", what);
    if (b.fairness != nullptr && b.fairness->type().fairness_policy->pick_flow == nullptr) {
      fail(fmt::format("{}: fairness policy '{}' has no pick_flow", what, b.fairness->name()));
    }
    if (b.ordering != nullptr) {
      const epp_ordering_policy_v1* o = b.ordering->type().ordering_policy;
      if (o->less == nullptr) {
        fail(fmt::format("{}: ordering policy '{}' has no less", what, b.ordering->name()));
      }
      b.fifo = (o->queue_capabilities & EPP_QUEUE_CAP_FIFO) != 0;
    }
    return b;
  }

  const std::string& errors() const { return errors_; }

 private:
  const loader::PluginInstance* policy(const std::optional<std::string>& ref,
                                       const char* defaultType, uint32_t kind, const char* role,
                                       const std::string& what) {
    const loader::PluginInstance* p = nullptr;
    if (ref) {
      p = instances_.byName(*ref);
      if (p == nullptr) {
        fail(fmt::format("{}: no plugin named '{}'", what, *ref));
        return nullptr;
      }
    } else {
      p = instances_.firstOfType(defaultType);
      if (p == nullptr) {
        if (enabled_) {
          fail(fmt::format("{}: no {} policy: set {}PolicyRef or load the {} plugin", what, role,
                           role, defaultType));
        }
        return nullptr;
      }
    }
    if ((p->type().kinds & kind) == 0) {
      fail(fmt::format("{}: '{}' is not a {} policy", what, p->name(), role));
      return nullptr;
    }
    return p;
  }

  void fail(std::string message) {
    if (!errors_.empty()) errors_ += "\n";
    errors_ += std::move(message);
  }

  bool enabled_;
  const InstanceLookup& instances_;
  std::string errors_;
};

}  // namespace

common::Result<FlowControlConfig> buildFlowControlConfig(const config::FlowControlSpec& spec,
                                                         bool enabled,
                                                         const loader::PluginInstance* detector,
                                                         const InstanceLookup& instances) {
  FlowControlConfig out;
  out.enabled = enabled;
  out.maxBytes = spec.maxBytes;
  out.maxRequests = spec.maxRequests;
  out.defaultTtlNs = spec.defaultRequestTtlNs;
  out.detector = detector;
  Resolver resolver(enabled, instances);
  std::string at = spec.where.known() ? spec.where.str() + ": " : "";
  out.defaultBand = resolver.band(spec.defaultBand, at + "flowControl.defaultPriorityBand");
  for (size_t i = 0; i < spec.bands.size(); ++i) {
    const config::PriorityBandSpec& b = spec.bands[i];
    std::string where = b.where.known() ? b.where.str() + ": " : at;
    out.bands.push_back(resolver.band(
        b, fmt::format("{}flowControl.priorityBands[{}] (priority {})", where, i, b.priority)));
  }
  std::sort(out.bands.begin(), out.bands.end(),
            [](const BandConfig& a, const BandConfig& b) { return a.priority > b.priority; });
  if (!resolver.errors().empty()) return common::Error{resolver.errors()};
  return out;
}

}  // namespace epp::flowcontrol

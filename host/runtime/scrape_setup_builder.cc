#include "host/runtime/scrape_setup_builder.h"

#include "host/common/logging.h"
#include "host/common/tls_client.h"
#include "host/config/param_tree.h"

namespace epp::runtime {
namespace {

constexpr std::string_view kDataSource = "metrics-data-source";
constexpr std::string_view kExtractor = "core-metrics-extractor";
constexpr std::string_view kSpecAdapter = "metric-spec-adapter";

std::string scalar(const YAML::Node& params, const char* key, const std::string& fallback) {
  if (!params.IsMap() || !params[key] || !params[key].IsScalar()) return fallback;
  return params[key].Scalar();
}

}  // namespace

common::Result<datalayer::ScrapeSetupPtr> buildScrapeSetup(const ConfigSnapshot& snapshot,
                                                           const loader::PluginRegistry& registry) {
  auto setup = std::make_shared<datalayer::ScrapeSetup>();
  const config::ScrapingSpec& spec = snapshot.config.scraping;
  datalayer::ScrapeSettings& s = setup->settings;
  s.enabled = spec.enabled;
  s.intervalNs = spec.intervalNs;
  s.timeoutNs = spec.timeoutNs;
  s.healthIntervalNs = spec.healthIntervalNs;
  s.failureThreshold = spec.failureThreshold;
  s.stalenessNs = spec.stalenessNs;
  s.maxBodyBytes = spec.maxBodyBytes;
  s.scheme = spec.scheme;
  s.insecureSkipVerify = spec.insecureSkipVerify;
  s.caFile = spec.caFile;
  // The plugins validated their own parameters when they were created; read them back.
  for (const config::PluginSpec& p : snapshot.config.plugins) {
    if (p.type == kDataSource) {
      // The reference's parameters, when written, win over `scraping:`.
      s.scheme = scalar(p.parameters, "scheme", s.scheme);
      s.path = scalar(p.parameters, "path", s.path);
      s.insecureSkipVerify = scalar(p.parameters, "insecureSkipVerify",
                                    s.insecureSkipVerify ? "true" : "false") == "true";
    } else if (p.type == kExtractor) {
      s.engineLabelKey = scalar(p.parameters, "engineLabelKey", s.engineLabelKey);
      s.defaultEngine = scalar(p.parameters, "defaultEngine", s.defaultEngine);
    }
  }
  if (s.scheme == "https") {
    auto tls = common::makeTlsClientContext({s.caFile, s.insecureSkipVerify});
    if (!tls) return common::Error{"scraping over https: " + tls.error()};
    setup->tls = *tls;
  }
  for (const auto& instance : snapshot.instances) {
    if ((instance->type().kinds & EPP_KIND_BACKEND_ADAPTER) == 0) continue;
    if (setup->adapters.count(instance->typeName())) continue;  // the first one listed wins
    auto adapter = datalayer::BackendAdapter::create(instance);
    if (!adapter) return common::Error{adapter.error()};
    setup->adapters.emplace(instance->typeName(), *adapter);
  }
  for (const auto& [name, type] : registry.types()) {
    // metric-spec-adapter has no defaults: it exists per engineConfigs entry (below).
    if ((type.type->kinds & EPP_KIND_BACKEND_ADAPTER) == 0 || setup->adapters.count(name) ||
        name == kSpecAdapter) {
      continue;
    }
    auto instance = loader::PluginInstance::create(type, name);
    if (!instance) {
      // Only reachable for an adapter that needs parameters; its endpoints then report
      // "no backend adapter" until the config lists it with them.
      common::logger()->warn("backend adapter '{}' needs parameters: {}", name, instance.error());
      continue;
    }
    auto adapter = datalayer::BackendAdapter::create(*instance);
    if (!adapter) return common::Error{adapter.error()};
    setup->adapters.emplace(name, *adapter);
  }
  // engineConfigs entries (validated by core-metrics-extractor) replace a built-in engine's
  // metric names or add an engine: a metric-spec-adapter instance each.
  for (const config::PluginSpec& p : snapshot.config.plugins) {
    if (p.type != kExtractor || !p.parameters.IsMap() || !p.parameters["engineConfigs"]) continue;
    auto type = registry.types().find(std::string(kSpecAdapter));
    if (type == registry.types().end()) {
      return common::Error{p.where.str() + ": engineConfigs needs the " +
                           std::string(kSpecAdapter) + " plugin, which no plugin directory has"};
    }
    for (const YAML::Node& entry : p.parameters["engineConfigs"]) {
      std::string engine = entry["name"].as<std::string>();
      auto params = config::ParamTree::fromYaml(entry, p.where.file);
      if (!params) return common::Error{params.error()};
      auto instance =
          loader::PluginInstance::create(type->second, "engineConfigs/" + engine, params->root());
      if (!instance) return common::Error{instance.error()};
      auto builtIn = setup->adapters.find(engine);
      auto adapter = datalayer::BackendAdapter::forEngineConfig(
          engine, *instance, builtIn == setup->adapters.end() ? nullptr : builtIn->second);
      if (!adapter) return common::Error{adapter.error()};
      setup->adapters[engine] = *adapter;
    }
  }
  return datalayer::ScrapeSetupPtr(std::move(setup));
}

}  // namespace epp::runtime

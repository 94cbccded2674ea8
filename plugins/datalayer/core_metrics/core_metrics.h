#pragma once

#include <string>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// metrics-data-source and core-metrics-extractor: the reference's data-layer plugin
// types, so that its configs load unchanged. eppd's scraper does the polling and the
// backend adapters the extraction; these instances validate the reference's parameters
// at config time, and the scraper reads them from the config (docs/config.md).

// scheme (http; https is refused until eppd scrapes over TLS), path (overrides the
// adapters' metrics path), insecureSkipVerify.
class MetricsDataSource : public cpp::Plugin, public cpp::EndpointHooks {
 public:
  explicit MetricsDataSource(const cpp::CreateContext& ctx);
};

// defaultEngine (vllm), engineLabelKey (inference.networking.k8s.io/engine-type).
// engineConfigs is refused with a pointer to the adapters' own metric-name parameters.
class CoreMetricsExtractor : public cpp::Plugin, public cpp::EndpointHooks {
 public:
  explicit CoreMetricsExtractor(const cpp::CreateContext& ctx);
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppCoreMetricsEntry(const epp_entry_args* args);

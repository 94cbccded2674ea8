#include "host/routing/routing_metrics.h"

#include <prometheus/registry.h>

#include "host/common/metrics_registry.h"

namespace epp::routing {

RoutingMetrics& RoutingMetrics::get() {
  static RoutingMetrics* metrics = new RoutingMetrics();  // outlives every thread
  return *metrics;
}

RoutingMetrics::RoutingMetrics()
    : rewrites_(prometheus::BuildCounter()
                    .Name("inference_extension_model_rewrite_decisions_total")
                    .Help("Requests a routing rule rewrote, by rule, requested model and target")
                    .Register(common::metricsRegistry())),
      loraFallbacks_(prometheus::BuildCounter()
                         .Name("eppd_lora_fallback_total")
                         .Help("Requests for a LoRA adapter no endpoint held or had a free slot "
                               "for: sent to the base model, or rejected with 503")
                         .Register(common::metricsRegistry())) {}

prometheus::Counter& RoutingMetrics::rewriteDecision(const std::string& rule,
                                                     const std::string& model,
                                                     const std::string& target) {
  return rewrites_.Add(
      {{"model_rewrite_name", rule}, {"model_name", model}, {"target_model", target}});
}

prometheus::Counter& RoutingMetrics::loraFallback(const std::string& adapter,
                                                  const std::string& base,
                                                  const std::string& outcome) {
  return loraFallbacks_.Add({{"model_name", adapter}, {"base_model", base}, {"outcome", outcome}});
}

}  // namespace epp::routing

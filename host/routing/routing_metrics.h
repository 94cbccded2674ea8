// File: host/routing/routing_metrics.h
//
// Routing's metrics: the reference's inference_extension_model_rewrite_decisions_total
// {model_rewrite_name, model_name, target_model} (one per request a routing rule rewrote;
// model_rewrite_name is the rule's name, model_name the model it matches) and eppd's
// eppd_lora_fallback_total{model_name, base_model, outcome} (outcome "base-model" or
// "rejected"). Series are resolved when a config is built; the request path only
// increments.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <string>

namespace epp::routing {

class RoutingMetrics {
 public:
  static RoutingMetrics& get();

  prometheus::Counter& rewriteDecision(const std::string& rule, const std::string& model,
                                       const std::string& target);
  prometheus::Counter& loraFallback(const std::string& adapter, const std::string& base,
                                    const std::string& outcome);

 private:
  RoutingMetrics();
  prometheus::Family<prometheus::Counter>& rewrites_;
  prometheus::Family<prometheus::Counter>& loraFallbacks_;
};

}  // namespace epp::routing

// File: host/common/metrics_registry.h
//
// The process-wide Prometheus registry that /metrics serves; eppd's own metrics and every
// plugin's families are registered here.
#pragma once

#include <prometheus/registry.h>

#include <memory>

namespace epp::common {

prometheus::Registry& metricsRegistry();
// The same registry, for prometheus::Exposer::RegisterCollectable (which keeps a weak_ptr).
const std::shared_ptr<prometheus::Registry>& metricsRegistryPtr();

}  // namespace epp::common

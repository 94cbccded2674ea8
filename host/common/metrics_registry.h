// File: host/common/metrics_registry.h
//
// The process-wide Prometheus registry that /metrics serves; eppd's own metrics and every
// plugin's families are registered here.
#pragma once

#include <prometheus/registry.h>

namespace epp::common {

prometheus::Registry& metricsRegistry();

}  // namespace epp::common

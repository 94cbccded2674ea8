#include "host/common/metrics_registry.h"

namespace epp::common {

prometheus::Registry& metricsRegistry() {
  // Never destroyed: plugin libraries and late threads may still touch series at exit.
  static auto* registry = new prometheus::Registry();
  return *registry;
}

}  // namespace epp::common

#include "host/common/metrics_registry.h"

namespace epp::common {

const std::shared_ptr<prometheus::Registry>& metricsRegistryPtr() {
  // Never destroyed (the shared_ptr itself is leaked on purpose): plugin libraries and late
  // threads may still touch series at exit.
  static auto* registry = new std::shared_ptr<prometheus::Registry>(
      std::make_shared<prometheus::Registry>());
  return *registry;
}

prometheus::Registry& metricsRegistry() { return *metricsRegistryPtr(); }

}  // namespace epp::common
